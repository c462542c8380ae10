"""Starting the server for real: the sandbox wiring, stdio, HTTP, the standalone sandbox."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from pydantic import SecretStr

from novita_mcp.cli_error import CLIError
from novita_mcp.settings import SANDBOX_BASE_URL, Settings

__all__ = ["prepare", "check_settings", "in_process_sandbox", "run_stdio", "run_http", "serve_sandbox"]


def in_process_sandbox(settings: Settings) -> tuple[Any, Settings]:
    """A fresh in-process sandbox, and the settings that point the server at it."""
    from novita_mcp.sandbox import Sandbox

    sandbox = Sandbox()
    return sandbox, settings.model_copy(update={
        # The sandbox shows the toolsets the real server would (--toolsets all shows everything):
        # beside a real entry in one client, it must not double the tool count past clients' caps.
        "api_key": SecretStr(sandbox.api_key),
        "base_url": SANDBOX_BASE_URL,
        "dedicated_base_url": SANDBOX_BASE_URL,
        # Sandbox money is not real: keep its ledger and audit apart from the real account's.
        "state_dir": settings.state_dir / "sandbox",
    })


def check_settings(settings: Settings) -> None:
    """What the settings class cannot check alone: toolset ids and tool names exist (CLIError if not)."""
    from novita_mcp.tool_access import ToolAccess
    from novita_mcp.tools.registry import select_toolsets

    try:
        select_toolsets(settings.toolsets)
        ToolAccess(settings)  # an unknown tool name in the allow/deny lists is a start-up error
    except ValueError as exc:
        raise CLIError(str(exc)) from None


def prepare(settings: Settings) -> tuple[Any, Settings]:
    """The server for these settings: against the in-process sandbox, or against Novita with a key."""
    from novita_mcp.hooks import Hooks
    from novita_mcp.server import build_server

    check_settings(settings)
    if settings.sandbox:
        sandbox, settings = in_process_sandbox(settings)
        return build_server(settings, sandbox.transport(), hooks=Hooks(clock=sandbox.clock.now)), settings
    if settings.api_key is None or not settings.api_key.get_secret_value().strip():
        raise CLIError("NOVITA_API_KEY is not set. Set it to your Novita API key, or run "
                       "'novita-mcp --sandbox' to try the server without one.")
    return build_server(settings), settings


def run_stdio(server: Any) -> None:
    """Serve over stdio, with the edge guard answering lines the SDK would drop (novita_mcp.stdio_edge)."""
    import anyio

    from novita_mcp.stdio_edge import serve_stdio

    anyio.run(serve_stdio, server)


def run_http(
    server: Any, settings: Settings, *, host: str, port: int, stateless: bool, allowed_hosts: Sequence[str] = ()
) -> None:
    """Serve at ``http://host:port/mcp``; setup problems become a one-line CLIError."""
    from novita_mcp.http_app import HTTPSetupError, serve_http

    token = settings.http_token.get_secret_value().strip() if settings.http_token is not None else None
    try:
        serve_http(server, host=host, port=port, token=token or None, stateless=stateless,
                   allowed_hosts=allowed_hosts)
    except HTTPSetupError as exc:
        raise CLIError(str(exc)) from None


def serve_sandbox(*, host: str, port: int, api_key: str | None, speed: float) -> None:
    import uvicorn

    from novita_mcp.sandbox import Sandbox, SystemClock

    sandbox = Sandbox(clock=SystemClock(speed=speed), api_key=api_key)
    print(f"Novita sandbox on http://{host}:{port}", file=sys.stderr)
    print(f"  base URL: http://{host}:{port}", file=sys.stderr)
    print(f"  API key:  {sandbox.api_key}", file=sys.stderr)
    print(f"  e.g. NOVITA_BASE_URL=http://{host}:{port} NOVITA_API_KEY={sandbox.api_key} novita-mcp", file=sys.stderr)
    uvicorn.run(sandbox.app, host=host, port=port, log_level="warning")
