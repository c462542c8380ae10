"""The one settings object of the server.

Every field is an environment variable. Settings that concern the Novita API use the
``NOVITA_`` prefix (``NOVITA_API_KEY``); settings of the MCP server itself use
``NOVITA_MCP_`` (``NOVITA_MCP_READ_ONLY``). The CLI maps its flags onto the same fields,
and the object is read once at start-up and passed in: nothing reads ``os.environ`` later.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

__all__ = ["Settings", "ConfirmMode", "default_state_dir", "SANDBOX_BASE_URL"]

ConfirmMode = Literal["auto", "elicit", "token", "none"]

# The in-process sandbox is reached through an ASGI transport; the host is never resolved.
SANDBOX_BASE_URL = "http://sandbox.novita.invalid"


def default_state_dir() -> Path:
    """Where the spend ledger, the audit log and the token secret live by default."""
    import os

    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "novita-mcp"


def _env(name: str, default: Any, description: str, **kwargs: Any) -> Any:
    return Field(default, validation_alias=AliasChoices(name), description=description, **kwargs)


def _csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class _NovitaEnv(EnvSettingsSource):
    """Environment variables, but only ``NOVITA_*`` ones.

    Fields accept their Python name as a constructor keyword (``Settings(read_only=True)``);
    without this filter the environment would be searched for bare names such as
    ``API_KEY`` or ``READ_ONLY`` too.
    """

    def _load_env_vars(self) -> Any:
        env = super()._load_env_vars()
        return {k: v for k, v in env.items() if k.lower().startswith("novita_")}


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
        "NOVITA_MCP_TOOLSETS", None, "Comma-separated toolset ids, or 'all'. Unset: the default toolsets."
    )
    read_only: bool = _env("NOVITA_MCP_READ_ONLY", False, "Expose only tools that read; nothing can spend or destroy.")
    allow_tools: list[str] | None = _env(
        "NOVITA_MCP_ALLOW_TOOLS", None, "If set, only these tool names may run (comma-separated)."
    )
    deny_tools: list[str] = _env("NOVITA_MCP_DENY_TOOLS", [], "Tool names that may never run (comma-separated).")
    output_dir: Path | None = _env(
        "NOVITA_MCP_OUTPUT_DIR", None, "If set, generated media are also downloaded into this directory."
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
        "NOVITA_MCP_SESSION_BUDGET_USD", None, "Hard cap on what one server run may spend (on stdio: the client's session; over HTTP: the whole server process).", ge=0
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
    http_token: SecretStr | None = _env(
        "NOVITA_MCP_HTTP_TOKEN", None, "Bearer token required on /mcp; mandatory when binding a non-local address."
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

    @field_validator("toolsets", "allow_tools", "deny_tools", mode="before")
    @classmethod
    def _split_csv(cls, value: Any) -> Any:
        return _csv(value)

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
