"""The ``novita-mcp`` command.

    novita-mcp [--sandbox] [--transport stdio|http] [--toolsets a,b | default | all] [--read-only] ...
    novita-mcp doctor [flags]              check key, reachability, balance; print client configs
    novita-mcp config CLIENT [--published] print a working client config for this install
    novita-mcp sandbox [--port 8787]       serve the sandbox alone over HTTP

The server's flags are generated from the settings (``novita_mcp.settings.setting_specs``):
each is the twin of a ``NOVITA_*`` variable and overrides it, and they are accepted before
or after ``doctor``. On stdio nothing but MCP goes to stdout: messages and logs go to stderr.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence
from typing import Any

from novita_mcp import __version__
from novita_mcp.cli_error import CLIError

__all__ = ["main", "build_parser", "settings_from_args", "CLIError", "CLIENTS"]

PROG = "novita-mcp"
# The clients `novita-mcp config` writes for (the file each one reads is in novita_mcp.manifests).
CLIENTS = ("claude-desktop", "claude-code", "cursor", "vscode")


def _add_setting_flags(p: argparse.ArgumentParser) -> None:
    """One flag (or two spellings) per setting, from the settings themselves.

    Defaults are SUPPRESS so that a flag given before a subcommand is not reset by the same
    flag's absence after it, and so that an absent flag leaves the environment in charge.
    """
    from novita_mcp.settings import setting_specs

    for spec in setting_specs():
        if not spec.flags:
            continue
        help_text = f"{spec.description} ({spec.env})"
        common: dict[str, Any] = {"dest": spec.field, "default": argparse.SUPPRESS, "help": help_text}
        if spec.kind == "bool":
            p.add_argument(*spec.flags, action=argparse.BooleanOptionalAction, **common)
        elif spec.kind == "list":
            p.add_argument(*spec.flags, action="append", metavar="A,B", **common)
        elif spec.kind == "choice":
            p.add_argument(*spec.flags, choices=spec.choices, type=_choice(spec.choices), **common)
        else:
            p.add_argument(*spec.flags, metavar="VALUE", **common)


def _choice(choices: Sequence[str]) -> Any:
    folded = {c.lower(): c for c in choices}
    return lambda value: folded.get(value.lower(), value)


def build_parser() -> argparse.ArgumentParser:
    settings_flags = argparse.ArgumentParser(add_help=False)
    _add_setting_flags(settings_flags)
    parser = argparse.ArgumentParser(
        prog=PROG, parents=[settings_flags],
        description="MCP server for Novita AI, with server-enforced guardrails. Every flag has a NOVITA_* twin.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{doctor,config,sandbox}")
    sub.add_parser("doctor", parents=[settings_flags],
                   help="check key, reachability, balance and settings; print client configs")
    cfg = sub.add_parser("config", help="print a working config for one client (JSON on stdout)")
    cfg.add_argument("client", choices=CLIENTS, help="the client to configure")
    cfg.add_argument("--published", action="store_true",
                     help="the `uvx novita-mcp` form, for once the package is on PyPI")
    cfg.add_argument("--http", metavar="URL", dest="http_url",
                     help="connect to a server already running with --transport http at URL (e.g. http://127.0.0.1:8000/mcp)")
    sb = sub.add_parser("sandbox", help="serve the Novita sandbox alone over HTTP")
    sb.add_argument("--host", dest="sandbox_host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    sb.add_argument("--port", dest="sandbox_port", type=int, default=8787, help="port (default 8787)")
    sb.add_argument("--api-key", dest="sandbox_api_key",
                    help="the key the sandbox accepts (default: a random sk_sandbox_... key)")
    sb.add_argument("--speed", type=float, default=1.0, help="sandbox time runs this many times faster (default 1)")
    return parser


def _pydantic_message(exc: Any) -> str:
    from novita_mcp.settings import setting_specs

    # An error is located by field name (flags, keywords) or by variable (the environment).
    specs = {key: s for s in setting_specs() for key in (s.field, s.env)}
    parts = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else "?"
        spec = specs.get(field)
        name = spec.env if spec is not None else field
        # A secret's value is never echoed, not even when it is wrong.
        shown = "<hidden>" if spec is not None and spec.secret else repr(err.get("input"))
        flag = f" ({spec.flags[0]})" if spec is not None and spec.flags else ""
        parts.append(f"{name}={shown}{flag}: {err['msg']}")
    return "invalid setting " + "; ".join(parts)


def settings_from_args(args: argparse.Namespace) -> Any:
    """The settings: flags over ``NOVITA_*`` variables over defaults; a bad value is a CLIError."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from novita_mcp.settings import Settings, setting_specs

    overrides = {spec.field: getattr(args, spec.field) for spec in setting_specs()
                 if spec.flags and getattr(args, spec.field, None) is not None}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise CLIError(_pydantic_message(exc)) from None
    except SettingsError as exc:
        raise CLIError(f"invalid setting: {' '.join(str(exc).split())}") from None


def _configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    # The level sits on the stderr handler too: a client that asks for MCP log messages may
    # lower the novita_mcp loggers' level, and stderr must still show only --log-level.
    handler.setLevel(getattr(logging, level))
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.basicConfig(level=getattr(logging, level), handlers=[handler])
    logging.getLogger("httpx").setLevel(max(logging.WARNING, getattr(logging, level)))


def _waiting_line(settings: Any) -> str:
    sandbox = " --sandbox" if settings.sandbox else ""
    return (f"{PROG} {__version__}: waiting for an MCP client on stdin/stdout - this is a server that a client "
            f"starts, not an interactive program. Try it: npx @modelcontextprotocol/inspector {PROG}{sandbox}; "
            f"configure a client: {PROG} config claude-desktop; stop: Ctrl-C.")


def _serve(settings: Any) -> int:
    from novita_mcp.guard.ledger_factory import LedgerURLError, ledger_kind
    from novita_mcp.runtime import prepare, run_http, run_stdio

    try:
        ledger_kind(settings)  # a bad NOVITA_MCP_LEDGER_URL is one line now, not a failed start-up later
    except LedgerURLError as exc:
        raise CLIError(str(exc)) from None
    server, settings = prepare(settings)
    # What start-up built lives as long as the process: kept out of the collector's passes, the
    # first requests do not walk it again (a full pass here costs tens of milliseconds).
    gc.freeze()
    gc.enable()
    if settings.transport == "stdio":
        if sys.stdin.isatty():
            # A person ran it in a terminal, where a silent server looks hung.
            print(_waiting_line(settings), file=sys.stderr, flush=True)
        run_stdio(server)
    else:
        run_http(server, settings, host=settings.host, port=settings.port, stateless=settings.stateless,
                 allowed_hosts=settings.allow_hosts)
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    from novita_mcp.runtime import serve_sandbox

    if not 1 <= args.sandbox_port <= 65535:
        raise CLIError(f"--port must be between 1 and 65535, got {args.sandbox_port}")
    serve_sandbox(host=args.sandbox_host, port=args.sandbox_port, api_key=args.sandbox_api_key, speed=args.speed)
    return 0


def _config(args: argparse.Namespace) -> int:
    import json

    from novita_mcp.manifests import client_file, config_for, where_it_goes

    try:
        config = config_for(args.client, published=args.published, http_url=args.http_url)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    print(f"# {where_it_goes(args.client)}: {client_file(args.client)}", file=sys.stderr)
    print(json.dumps(config, indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    # Starting the server builds long-lived objects (the SDK's and our models) and little garbage:
    # the collector's passes over them are skipped until _serve freezes them (tens of ms).
    gc.disable()
    try:
        return _main(argv)
    finally:
        gc.enable()


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is not None:
        gc.enable()  # doctor, config, sandbox: ordinary programs
    try:
        if args.command == "config":
            return _config(args)
        settings = settings_from_args(args)
        _configure_logging(settings.log_level)
        if args.command == "sandbox":
            return _sandbox(args)
        if args.command == "doctor":
            from novita_mcp.doctor import run_doctor
            from novita_mcp.runtime import check_settings

            check_settings(settings)
            return run_doctor(settings)
        return _serve(settings)
    except CLIError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
