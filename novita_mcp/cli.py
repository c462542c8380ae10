"""The ``novita-mcp`` command.

    novita-mcp [--sandbox] [--transport stdio|http] [--toolsets a,b | all] [--read-only] ...
    novita-mcp sandbox [--port 8787]       serve the sandbox alone over HTTP
    novita-mcp doctor                      check key, reachability, balance; print client configs

Flags override environment variables; every flag has a NOVITA_* twin (see the README).
On stdio nothing but MCP goes to stdout: messages and logs go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main", "build_parser", "settings_from_args"]

PROG = "novita-mcp"


class CLIError(Exception):
    """A one-line problem for the user; printed to stderr with exit status 2."""


def _add_server_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sandbox", action="store_true", default=None,
                   help="serve against the built-in sandbox: no key, no network, no money (NOVITA_MCP_SANDBOX)")
    p.add_argument("--transport", choices=["stdio", "http"], default="stdio", help="MCP transport (default stdio)")
    p.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    p.add_argument("--stateless", action="store_true", help="HTTP: no per-connection state (for replicas behind a load balancer)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="HTTP: also accept this Host header (a public name behind a proxy); repeatable")
    p.add_argument("--toolsets", help="comma-separated toolset ids, or 'all' (NOVITA_MCP_TOOLSETS)")
    p.add_argument("--read-only", action="store_true", default=None, help="expose only read tools (NOVITA_MCP_READ_ONLY)")
    p.add_argument("--confirm-mode", choices=["auto", "elicit", "token", "none"],
                   help="how the user confirms guarded calls (NOVITA_MCP_CONFIRM_MODE)")
    p.add_argument("--auto-approve-usd", help="one-off calls quoted at or below this run unasked (NOVITA_MCP_AUTO_APPROVE_USD)")
    p.add_argument("--max-call-usd", help="hard cap on one call's quote (NOVITA_MCP_MAX_CALL_USD)")
    p.add_argument("--session-budget-usd", help="hard cap per session (NOVITA_MCP_SESSION_BUDGET_USD)")
    p.add_argument("--daily-budget-usd", help="hard cap per UTC day (NOVITA_MCP_DAILY_BUDGET_USD)")
    p.add_argument("--max-gpus", help="most GPUs per request (NOVITA_MCP_MAX_GPUS)")
    p.add_argument("--max-hourly-usd", help="most the account may burn per hour (NOVITA_MCP_MAX_HOURLY_USD)")
    p.add_argument("--auto-approve-session-usd",
                   help="most auto-approved calls may spend per session (NOVITA_MCP_AUTO_APPROVE_SESSION_USD)")
    p.add_argument("--allow-tools", help="only these tools may run (NOVITA_MCP_ALLOW_TOOLS)")
    p.add_argument("--deny-tools", help="these tools may never run (NOVITA_MCP_DENY_TOOLS)")
    p.add_argument("--token-ttl-seconds", help="lifetime of a confirmation token (NOVITA_MCP_TOKEN_TTL_SECONDS)")
    p.add_argument("--state-dir", help="ledger, audit log and token secret directory (NOVITA_MCP_STATE_DIR)")
    p.add_argument("--ledger-path", help="the SQLite spend ledger (NOVITA_MCP_LEDGER_PATH)")
    p.add_argument("--audit-log", help="the JSON-lines audit log (NOVITA_MCP_AUDIT_LOG)")
    p.add_argument("--ledger-url", help="shared ledger for replicas, postgresql://... (prefer NOVITA_MCP_LEDGER_URL: "
                   "a password in a flag shows in ps)")
    p.add_argument("--output-dir", help="also download generated media here (NOVITA_MCP_OUTPUT_DIR)")
    p.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                   help="stderr log level (default WARNING)")


_FLAG_FIELDS = {
    "sandbox": "sandbox", "toolsets": "toolsets", "read_only": "read_only", "confirm_mode": "confirm_mode",
    "auto_approve_usd": "auto_approve_usd", "max_call_usd": "max_call_usd",
    "session_budget_usd": "session_budget_usd", "daily_budget_usd": "daily_budget_usd", "max_gpus": "max_gpus",
    "max_hourly_usd": "max_hourly_usd", "auto_approve_session_usd": "auto_approve_session_usd",
    "allow_tools": "allow_tools", "deny_tools": "deny_tools", "state_dir": "state_dir", "output_dir": "output_dir",
    "token_ttl_seconds": "token_ttl_seconds", "ledger_path": "ledger_path", "audit_log": "audit_log_path",
    "ledger_url": "ledger_url",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="MCP server for Novita AI, with server-enforced guardrails.")
    _add_server_flags(parser)
    sub = parser.add_subparsers(dest="command")
    sb = sub.add_parser("sandbox", help="serve the Novita sandbox alone over HTTP")
    sb.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    sb.add_argument("--port", type=int, default=8787, help="port (default 8787)")
    sb.add_argument("--api-key", help="the key the sandbox accepts (default: a random sk_sandbox_... key)")
    sb.add_argument("--speed", type=float, default=1.0, help="sandbox time runs this many times faster (default 1)")
    sub.add_parser("doctor", help="check key, reachability, balance and settings; print client configs")
    return parser


def _pydantic_message(exc: Any) -> str:
    from novita_mcp.settings import Settings

    parts = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else "?"
        info = Settings.model_fields.get(field)
        alias = info.validation_alias.choices[0] if info is not None and info.validation_alias else field  # type: ignore[union-attr]
        parts.append(f"{alias}={err.get('input')!r}: {err['msg']}")
    return "invalid setting " + "; ".join(parts)


def settings_from_args(args: argparse.Namespace) -> Any:
    from pydantic import ValidationError

    from novita_mcp.settings import Settings

    overrides = {field: getattr(args, flag) for flag, field in _FLAG_FIELDS.items()
                 if getattr(args, flag, None) is not None}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise CLIError(_pydantic_message(exc)) from None


def _check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise CLIError(f"--port must be between 1 and 65535, got {port}")


def _configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    # The level sits on the stderr handler too: a client that asks for MCP log messages may
    # lower the novita_mcp loggers' level, and stderr must still show only --log-level.
    handler.setLevel(getattr(logging, level))
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.basicConfig(level=getattr(logging, level), handlers=[handler])
    logging.getLogger("httpx").setLevel(max(logging.WARNING, getattr(logging, level)))


def _serve(args: argparse.Namespace) -> int:
    from novita_mcp.runtime import prepare, run_http, run_stdio

    settings = settings_from_args(args)
    from novita_mcp.guard.ledger_factory import LedgerURLError, ledger_kind

    try:
        ledger_kind(settings)  # a bad NOVITA_MCP_LEDGER_URL is one line now, not a failed start-up later
    except LedgerURLError as exc:
        raise CLIError(str(exc)) from None
    if args.transport == "http":
        _check_port(args.port)
    server, settings = prepare(settings)
    if args.transport == "stdio":
        run_stdio(server)
    else:
        run_http(server, settings, host=args.host, port=args.port, stateless=args.stateless,
                 allowed_hosts=args.allow_host)
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    from novita_mcp.runtime import serve_sandbox

    _check_port(args.port)
    serve_sandbox(host=args.host, port=args.port, api_key=args.api_key, speed=args.speed)
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from novita_mcp.doctor import run_doctor

    return run_doctor(settings_from_args(args))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args.log_level)
    try:
        if args.command == "sandbox":
            return _sandbox(args)
        if args.command == "doctor":
            return _doctor(args)
        return _serve(args)
    except CLIError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
