"""The one settings object of the server.

Every field is an environment variable. Settings that concern the Novita API use the
``NOVITA_`` prefix (``NOVITA_API_KEY``); settings of the MCP server itself use
``NOVITA_MCP_`` (``NOVITA_MCP_READ_ONLY``). The object is read once at start-up and passed
in: nothing reads ``os.environ`` later.

The fields are the one source of the command line too: ``setting_specs()`` derives each
variable's flag (``NOVITA_MCP_MAX_CALL_USD`` -> ``--max-call-usd``) and the CLI, the README's settings
reference and the tests read it from there. A field has no flag only when it says why
(``env_only=...``); secrets never get one, because a command line is visible to every user
of the machine (``ps``). List settings take comma-separated values from the environment.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

__all__ = [
    "Settings",
    "ConfirmMode",
    "default_state_dir",
    "SANDBOX_BASE_URL",
    "SettingSpec",
    "setting_specs",
    "tool_name_key",
    "SECRET_ENV_ONLY",
]

ConfirmMode = Literal["auto", "elicit", "token", "none"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

# Why a secret has no flag; a field may give its own reason with ``env_only=...``.
SECRET_ENV_ONLY = "a secret: a command line is visible to every user of the machine (ps), the environment is not"

# The in-process sandbox is reached through an ASGI transport; the host is never resolved.
SANDBOX_BASE_URL = "http://sandbox.novita.invalid"


def default_state_dir() -> Path:
    """Where the spend ledger, the audit log and the token secret live by default: the
    platform's own place (``$XDG_STATE_HOME`` or ``~/.local/state`` on Linux, ``~/Library/
    Application Support`` on macOS, ``%LOCALAPPDATA%`` on Windows), in ``novita-mcp``."""
    import platformdirs

    return Path(platformdirs.user_state_dir("novita-mcp", appauthor=False))


def _env(
    name: str,
    default: Any,
    description: str,
    *,
    flags: tuple[str, ...] | None = None,
    env_only: str | None = None,
    http_only: bool = False,
    **kwargs: Any,
) -> Any:
    """A setting read from the environment variable ``name``.

    ``flags`` replaces the flag derived from the field name; ``env_only`` gives the reason a
    setting has no flag; ``http_only`` marks settings that mean nothing on stdio.
    """
    extra: dict[str, Any] = {}
    if flags is not None:
        extra["flags"] = list(flags)
    if env_only is not None:
        extra["env_only"] = env_only
    if http_only:
        extra["http_only"] = True
    return Field(default, validation_alias=AliasChoices(name), description=description,
                 json_schema_extra=extra or None, **kwargs)


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) is list:
        return True
    return any(typing.get_origin(arg) is list for arg in typing.get_args(annotation))


def _csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        # Flags may repeat (--allow-host a --allow-host b) and each value may be a list itself.
        return [part for item in value for part in (_csv(item) if isinstance(item, str) else [item])]
    return value


def tool_name_key(name: str) -> str:
    """The canonical form of a tool name: case and ``-``/``_`` do not matter."""
    return name.strip().lower().replace("-", "_")


class _NovitaEnv(EnvSettingsSource):
    """Environment variables, but only ``NOVITA_*`` ones.

    Fields accept their Python name as a constructor keyword (``Settings(read_only=True)``);
    without this filter the environment would be searched for bare names such as
    ``API_KEY`` or ``READ_ONLY`` too.
    """

    def _load_env_vars(self) -> Any:
        env = super()._load_env_vars()
        return {k: v for k, v in env.items() if k.lower().startswith("novita_")}

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        # A list setting is written "a,b" in the environment; the JSON form ["a","b"] works too.
        # Either way the field validator splits it, so a malformed value gets a field error
        # naming the variable instead of a parse failure deep in pydantic-settings.
        if _is_list(field.annotation) and isinstance(value, str):
            if value.lstrip().startswith("["):
                try:
                    return json.loads(value)
                except ValueError:
                    return value
            return value
        return super().decode_complex_value(field_name, field, value)


class Settings(BaseSettings):
    """Settings for novita-mcp. See the README's "Settings" table for the same list."""

    model_config = SettingsConfigDict(
        populate_by_name=True, extra="ignore", frozen=True, env_ignore_empty=True, validate_default=True
    )

    # --- the Novita API ---------------------------------------------------------------
    api_key: SecretStr | None = _env("NOVITA_API_KEY", None, "Novita API key (Bearer token). Never logged.")
    base_url: str = _env("NOVITA_BASE_URL", "https://api.novita.ai", "Base URL of the Novita API.")
    dedicated_base_url: str | None = _env(
        "NOVITA_DEDICATED_BASE_URL",
        None,
        "Base URL of the dedicated-endpoint control plane (defaults to the base URL; the sandbox in --sandbox).",
    )
    connect_timeout: float = _env("NOVITA_CONNECT_TIMEOUT", 10.0, "Seconds to open a connection.", gt=0, le=120)
    read_timeout: float = _env("NOVITA_READ_TIMEOUT", 60.0, "Seconds to wait for response data.", gt=0, le=600)
    write_timeout: float = _env("NOVITA_WRITE_TIMEOUT", 30.0, "Seconds to send a request body.", gt=0, le=600)
    pool_timeout: float = _env("NOVITA_POOL_TIMEOUT", 10.0, "Seconds to wait for a free connection.", gt=0, le=120)
    max_retries: int = _env(
        "NOVITA_MAX_RETRIES", 3, "Retries of idempotent requests on 429/502/503/504 and connection errors.", ge=0, le=10
    )

    # --- the MCP server ---------------------------------------------------------------
    sandbox: bool = _env("NOVITA_MCP_SANDBOX", False, "Serve against the built-in sandbox: no key, no network, no money.")
    toolsets: list[str] | None = _env(
        "NOVITA_MCP_TOOLSETS", None,
        "Comma-separated toolset ids, 'default' (also when unset) or 'all'; 'default,batch' adds one.",
    )
    read_only: bool = _env("NOVITA_MCP_READ_ONLY", False, "Expose only tools that read; nothing can spend or destroy.")
    allow_tools: list[str] | None = _env(
        "NOVITA_MCP_ALLOW_TOOLS", None,
        "If set, only these tools are listed and may run (comma-separated; case and -/_ do not matter).",
    )
    deny_tools: list[str] = _env(
        "NOVITA_MCP_DENY_TOOLS", [],
        "Tools that are never listed and never run, read tools included (comma-separated).",
    )
    output_dir: Path | None = _env(
        "NOVITA_MCP_OUTPUT_DIR", None, "If set, generated media are also downloaded into this directory."
    )
    log_level: LogLevel = _env("NOVITA_MCP_LOG_LEVEL", "WARNING", "Level of the log on stderr.")
    files_dir: Path | None = _env(
        "NOVITA_MCP_FILES_DIR", None, "Over HTTP, local input files (images, audio, batch inputs) are read only from "
        "under this directory; unset: none. On stdio any local path the user names is read."
    )

    # --- guardrails ---------------------------------------------------------------------
    confirm_mode: ConfirmMode = _env(
        "NOVITA_MCP_CONFIRM_MODE",
        "auto",
        "How the user confirms: auto (elicit if the client can, else token), elicit (fail closed without "
        "elicitation), token, or none (DANGEROUS: no confirmation, for unattended automation).",
    )
    auto_approve_usd: Decimal = _env(
        "NOVITA_MCP_AUTO_APPROVE_USD", Decimal("0.10"), "One-off billable calls quoted at or below this run unasked.", ge=0
    )
    auto_approve_session_usd: Decimal = _env(
        "NOVITA_MCP_AUTO_APPROVE_SESSION_USD", Decimal("1.00"),
        "Most that calls under the auto-approve threshold may spend per session without asking; past it they need "
        "the user's confirmation too.", ge=0
    )
    max_call_usd: Decimal | None = _env("NOVITA_MCP_MAX_CALL_USD", None, "Hard cap on one call's quote.", ge=0)
    max_hourly_usd: Decimal | None = _env(
        "NOVITA_MCP_MAX_HOURLY_USD", None,
        "Most the account may burn per hour across running instances and endpoints; a create, start or scale-up "
        "that would pass it is refused.", ge=0
    )
    session_budget_usd: Decimal | None = _env(
        "NOVITA_MCP_SESSION_BUDGET_USD", None, "Hard cap on what one session may spend: on stdio the server's life; over HTTP each MCP session "
        "(2025-11-25), while 2026-07-28 and stateless calls share one.", ge=0
    )
    daily_budget_usd: Decimal | None = _env(
        "NOVITA_MCP_DAILY_BUDGET_USD", None, "Hard cap on what may be spent per UTC day (kept across restarts).", ge=0
    )
    max_gpus: int = _env("NOVITA_MCP_MAX_GPUS", 8, "Most GPUs one request may ask for.", ge=0, le=1024)
    token_ttl_seconds: int = _env(
        "NOVITA_MCP_TOKEN_TTL_SECONDS", 600, "Lifetime of a confirmation token.", ge=10, le=86400
    )
    token_secret: SecretStr | None = _env(
        "NOVITA_MCP_TOKEN_SECRET",
        None,
        "HMAC secret for confirmation tokens; share it between replicas. Unset: a random secret kept in the state dir.",
    )
    state_dir: Path = Field(
        default_factory=default_state_dir,
        validation_alias=AliasChoices("NOVITA_MCP_STATE_DIR"),
        description="Directory for the ledger, audit log and secret.",
    )
    ledger_path: Path | None = _env("NOVITA_MCP_LEDGER_PATH", None, "SQLite spend ledger (default: <state dir>/ledger.sqlite3).")
    audit_log_path: Path | None = _env("NOVITA_MCP_AUDIT_LOG", None, "JSON-lines audit log (default: <state dir>/audit.jsonl).")
    ledger_url: SecretStr | None = _env(
        "NOVITA_MCP_LEDGER_URL", None,
        "Shared spend ledger for replicas: postgresql://user:password@host:5432/db (or sqlite:///path). Unset: SQLite "
        "in the state dir (NOVITA_MCP_LEDGER_PATH). Never logged.",
    )

    # --- HTTP transport -----------------------------------------------------------------
    transport: Literal["stdio", "http"] = _env(
        "NOVITA_MCP_TRANSPORT", "stdio", "MCP transport: stdio (a client starts the server) or http (streamable HTTP at /mcp).",
        http_only=True,
    )
    host: str = _env("NOVITA_MCP_HOST", "127.0.0.1", "HTTP bind address.", http_only=True)
    port: int = _env("NOVITA_MCP_PORT", 8000, "HTTP port.", ge=1, le=65535, http_only=True)
    stateless: bool = _env(
        "NOVITA_MCP_STATELESS", False, "HTTP: no per-connection state (for replicas behind a load balancer).",
        http_only=True,
    )
    allow_hosts: list[str] = _env(
        "NOVITA_MCP_ALLOW_HOSTS", [], "HTTP: also accept these Host headers (public names behind a proxy; comma-separated).",
        flags=("--allow-host", "--allow-hosts"), http_only=True,
    )
    http_token: SecretStr | None = _env(
        "NOVITA_MCP_HTTP_TOKEN", None, "Bearer token required on /mcp; mandatory when binding a non-local address.",
        http_only=True,
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _NovitaEnv(settings_cls))

    @field_validator("*", mode="before")
    @classmethod
    def _split_csv(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        return _csv(value) if field is not None and _is_list(field.annotation) else value

    @field_validator("allow_tools", "deny_tools")
    @classmethod
    def _canonical_tool_names(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(tool_name_key(v) for v in value))

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("base_url", "dedicated_base_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @property
    def resolved_ledger_path(self) -> Path:
        return self.ledger_path or self.state_dir / "ledger.sqlite3"

    @property
    def resolved_audit_log_path(self) -> Path:
        return self.audit_log_path or self.state_dir / "audit.jsonl"

    @property
    def resolved_dedicated_base_url(self) -> str:
        return self.dedicated_base_url or self.base_url


# --- one source for flags, variables and the settings reference -------------------------------

@dataclass(frozen=True)
class SettingSpec:
    """How one setting is given: its variable, its flags (none when env-only, with the reason)."""

    field: str
    env: str
    flags: tuple[str, ...]
    env_only: str | None
    description: str
    kind: Literal["bool", "list", "choice", "value"]
    choices: tuple[str, ...]
    secret: bool
    http_only: bool
    default: str | None


def _default_text(info: FieldInfo) -> str | None:
    if info.default_factory is not None:
        return None  # computed at run time (e.g. the platform's state directory)
    value = info.default
    if value is None or value == []:
        return None
    return str(value).lower() if isinstance(value, bool) else str(value)


def setting_specs() -> list[SettingSpec]:
    """Every setting with its variable and flags, in declaration order, derived from the fields.

    A flag is its variable without the ``NOVITA_``/``NOVITA_MCP_`` prefix, lower-case and
    dashed, so a new field gets one without anyone writing it down; a field without a flag
    must say why (secrets say it by being ``SecretStr``).
    """
    specs = []
    seen: dict[str, str] = {}
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        if not isinstance(alias, AliasChoices) or not isinstance(alias.choices[0], str):
            raise TypeError(f"setting {name} must be declared with its NOVITA_* variable")
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        secret = "SecretStr" in str(info.annotation)
        env_only = extra.get("env_only") or (SECRET_ENV_ONLY if secret else None)
        env = str(alias.choices[0])
        derived = "--" + env.removeprefix("NOVITA_").removeprefix("MCP_").lower().replace("_", "-")
        given = extra.get("flags")
        flags: tuple[str, ...] = () if env_only else tuple(map(str, given)) if isinstance(given, list) and given else (
            derived,)
        for flag in flags:
            if flag in seen:
                raise TypeError(f"settings {seen[flag]} and {name} would share the flag {flag}")
            seen[flag] = name
        annotation = info.annotation
        literal = next((a for a in [annotation, *typing.get_args(annotation)] if typing.get_origin(a) is Literal), None)
        kind: Literal["bool", "list", "choice", "value"] = (
            "bool" if annotation is bool else "list" if _is_list(annotation) else "choice" if literal else "value")
        specs.append(SettingSpec(
            field=name, env=env, flags=flags, env_only=str(env_only) if env_only else None,
            description=info.description or "", kind=kind,
            choices=tuple(str(c) for c in typing.get_args(literal)) if literal else (),
            secret=secret, http_only=bool(extra.get("http_only")), default=_default_text(info),
        ))
    return specs
