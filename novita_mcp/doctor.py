"""``novita-mcp doctor``: is this installation ready? Key, reachability, balance, guardrails, client configs.

Prints a report to stdout (doctor is not an MCP transport) and returns 0 when every check
passes, 1 otherwise. The API key is never printed: only its prefix and last four characters.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal, TextIO

import anyio
import httpx

from novita_mcp import __version__
from novita_mcp.guard.plan import usd
from novita_mcp.settings import SANDBOX_BASE_URL, Settings

__all__ = ["run_doctor", "mask_key", "Check"]

Status = Literal["ok", "warn", "fail"]
_MARK = {"ok": "[ok]  ", "warn": "[warn]", "fail": "[FAIL]"}
LOW_BALANCE_USD = Decimal("1")


@dataclass(frozen=True)
class Check:
    status: Status
    name: str
    detail: str


def mask_key(key: str) -> str:
    """``sk_...1a2b``: enough to tell keys apart, never enough to use one. Short keys show no characters."""
    prefix = key[:3] if key.startswith("sk_") else ""
    tail = key[-4:] if len(key) >= 16 else ""
    return f"{prefix}...{tail} ({len(key)} characters)"


def _key_check(settings: Settings) -> tuple[Check, str | None]:
    if settings.sandbox:
        return Check("ok", "API key", "sandbox: a generated key for the in-process simulator"), None
    key = settings.api_key.get_secret_value().strip() if settings.api_key is not None else ""
    if not key:
        return Check("fail", "API key", "NOVITA_API_KEY is not set; create one at "
                                        "https://novita.ai/settings/key-management (or try --sandbox)"), None
    return Check("ok", "API key", f"present: {mask_key(key)}"), key


async def _api_checks(settings: Settings, transport: httpx.AsyncBaseTransport | None) -> list[Check]:
    from novita_mcp.client import (
        AuthenticationError,
        NovitaClient,
        NovitaError,
        PermissionDeniedError,
        RetryPolicy,
        TransportError,
    )

    client = NovitaClient.from_settings(settings, transport=transport, retry=RetryPolicy(0))
    where = "the in-process sandbox" if settings.base_url == SANDBOX_BASE_URL else settings.base_url
    started = time.perf_counter()
    try:
        balance = await client.account.balance()
    except TransportError as exc:
        return [Check("fail", "reachability", f"{where} did not answer: {exc.describe()}")]
    except (AuthenticationError, PermissionDeniedError) as exc:
        ms = (time.perf_counter() - started) * 1000
        return [Check("ok", "reachability", f"{where} answered in {ms:.0f} ms"),
                Check("fail", "key accepted", f"the API refused the key: {exc.describe()}")]
    except NovitaError as exc:
        return [Check("fail", "reachability", f"{where} answered with an error: {exc.describe()}")]
    finally:
        await client.aclose()
    ms = (time.perf_counter() - started) * 1000
    available = balance.available_balance
    money = f"${available:,.2f} available (cash ${balance.cash_balance:,.2f}, owed ${balance.outstanding_invoices:,.2f})"
    if available <= 0:
        money_check = Check("fail", "balance", money + "; calls that cost money will fail - top up at "
                                                       "https://novita.ai/billing")
    elif available < LOW_BALANCE_USD:
        money_check = Check("warn", "balance", money + "; low")
    else:
        money_check = Check("ok", "balance", money)
    return [Check("ok", "reachability", f"{where} answered in {ms:.0f} ms"),
            Check("ok", "key accepted", "the balance endpoint accepted the key"), money_check]


def _usd(value: Decimal | None) -> str:
    return "no limit" if value is None else usd(value)


def _guard_checks(settings: Settings) -> list[Check]:
    checks = []
    if settings.confirm_mode == "none":
        checks.append(Check("warn", "confirmation", "NOVITA_MCP_CONFIRM_MODE=none: spending and destructive "
                                                    "calls run without asking anyone"))
    else:
        checks.append(Check("ok", "confirmation", f"mode {settings.confirm_mode}; one-off calls up to "
                                                  f"{_usd(settings.auto_approve_usd)} run unasked"))
    checks.append(Check("ok", "limits", f"per call {_usd(settings.max_call_usd)}, per session "
                                        f"{_usd(settings.session_budget_usd)}, per day {_usd(settings.daily_budget_usd)}, "
                                        f"at most {settings.max_gpus} GPUs per request"))
    exposure = "read-only (nothing can spend or destroy)" if settings.read_only else "read and write"
    toolsets = ",".join(settings.toolsets) if settings.toolsets else "the default toolsets"
    checks.append(Check("ok", "exposure", f"{exposure}; toolsets: {toolsets}"))
    checks.append(_state_dir_check(settings.state_dir))
    return checks


def _state_dir_check(state_dir: Path) -> Check:
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        probe = state_dir / ".doctor-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return Check("fail", "state directory", f"{state_dir} is not writable ({exc.strerror}); the spend ledger "
                                                "and audit log live there - set NOVITA_MCP_STATE_DIR")
    return Check("ok", "state directory", f"{state_dir} (ledger and audit log)")


def _client_snippets(out: TextIO) -> None:
    from novita_mcp.manifests import (
        PUBLISHED,
        client_configs,
        client_file,
        source_checkout,
        this_install,
        uvx_from,
        where_it_goes,
    )

    launcher = this_install()
    clients = {"claude-desktop": "claude-desktop/claude_desktop_config.json", "claude-code": "claude-code/.mcp.json",
               "cursor": "cursor/mcp.json", "vscode": "vscode/mcp.json"}
    configs = client_configs(launcher=launcher)
    print(f"\nClient configuration for {launcher.label}", file=out)
    print("(the 'novita-sandbox' entry needs no key; change its \"default\" to \"all\" to see every tool):",
          file=out)
    for client, rel in clients.items():
        print(f"\n# {where_it_goes(client)}: {client_file(client)}  [novita-mcp config {client}]", file=out)
        print(json.dumps(configs[rel], indent=2), file=out)
    checkout = source_checkout()
    if checkout is not None:
        other = uvx_from(checkout)
        print(f"\nWith uv, from this checkout instead: \"command\": \"uvx\", \"args\": {json.dumps(list(other.args))}",
              file=out)
    print(f"\nOnce novita-mcp is published on PyPI: \"command\": \"{PUBLISHED.command}\", "
          f"\"args\": {json.dumps(list(PUBLISHED.args))} (novita-mcp config CLIENT --published)", file=out)


def run_doctor(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
               out: TextIO | None = None) -> int:
    """Run every check, print the report and the client configs; 0 when healthy, 1 otherwise.

    ``transport`` replaces the network (tests point it at a sandbox); ``--sandbox`` builds its own.
    """
    out = out or sys.stdout
    checks: list[Check] = []
    key_check, key = _key_check(settings)
    checks.append(key_check)
    if settings.sandbox:
        from novita_mcp.runtime import in_process_sandbox

        sandbox, settings = in_process_sandbox(settings)
        transport = sandbox.transport()
    if settings.sandbox or key is not None:
        checks += anyio.run(_api_checks, settings, transport)
    checks += _guard_checks(settings)

    mode = "sandbox (no money)" if settings.sandbox else settings.base_url
    print(f"novita-mcp {__version__} doctor - {mode}\n", file=out)
    for check in checks:
        print(f"{_MARK[check.status]} {check.name}: {check.detail}", file=out)
    failed = [c for c in checks if c.status == "fail"]
    _client_snippets(out)
    summary = "ready" if not failed else f"{len(failed)} problem(s): " + ", ".join(c.name for c in failed)
    print(f"\nResult: {summary}", file=out)
    return 1 if failed else 0
