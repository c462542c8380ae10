"""``build_server(settings, transport=None)``: the MCP server with its selected toolsets.

The toolsets are packages under ``novita_mcp/tools``; ``novita_mcp.tools.registry`` derives
the registry from them (a toolset's tool modules are imported only when it is selected).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from mcp.server.mcpserver import MCPServer

from novita_mcp import __version__
from novita_mcp.hooks import Hooks
from novita_mcp.settings import Settings
from novita_mcp.tools.registry import TOOLSETS, select_toolsets

__all__ = ["build_server", "TOOLSETS", "select_toolsets", "SERVER_NAME"]

log = logging.getLogger("novita_mcp")

SERVER_NAME = "novita-mcp"


INSTRUCTIONS = """\
Novita AI through guarded tools. Read tools run freely. Tools that spend money or destroy something are \
checked by the server first: some run at once (cheap one-off calls), some are refused with the reason \
(read-only mode, budgets, caps, balance), and the rest need the user's approval - either through a \
confirmation form, or by returning status "confirmation_required" with a plan and a token. In that case \
show the plan to the user, and only if they approve call the same tool again with the same arguments \
and confirmation_token. Never approve on the user's behalf. Prices are in USD."""


def _request_state_security(settings: Settings) -> Any:
    """With a shared token secret (replicas), the SDK's sealed elicitation state must verify on
    every replica too, so its key is derived from the same secret. Otherwise the SDK's
    per-process key is right (one process: stdio, or one HTTP worker)."""
    if settings.token_secret is None:
        return None
    import hashlib

    from mcp.server.mcpserver import RequestStateSecurity

    key = hashlib.sha256(b"novita-mcp request-state v1\0" + settings.token_secret.get_secret_value().encode()).digest()
    return RequestStateSecurity(keys=[key], audience=SERVER_NAME)


def build_server(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    hooks: Hooks | None = None,
) -> MCPServer:
    """Assemble the server. ``transport`` replaces the network (the sandbox, or a test seam);
    ``hooks`` are the seams tests replace: the clock (tokens, budgets, bill windows, waits),
    the pause between polls, the retry policy, DNS."""
    from novita_mcp.client_logs import ClientLogRelay
    from novita_mcp.tools._prebuilt import listed_tools

    selected = select_toolsets(settings.toolsets)
    seams = hooks or Hooks()
    # This server's client-log subscribers; the relay listens only while the server runs.
    relay = ClientLogRelay()

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[Any]:
        from novita_mcp.client import NovitaClient
        from novita_mcp.guard import build_guard
        from novita_mcp.toolkit import Services

        client = NovitaClient.from_settings(settings, transport=transport, retry=seams.retry)
        guard = build_guard(settings, client, clock=seams.clock)
        try:
            with relay.listening():
                yield Services(settings=settings, client=client, guard=guard, hooks=seams)
        finally:
            await client.aclose()
            guard.ledger.close()

    from novita_mcp.tool_access import ToolAccess

    # Read-only mode and the allow/deny lists, read tools included: what is listed is what may run.
    access = ToolAccess(settings)
    tools = listed_tools(selected, access)
    # log_level: the SDK configures root logging at construction; INFO would log every HTTP request.
    server = MCPServer(SERVER_NAME, version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan,
                       log_level="WARNING", request_state_security=_request_state_security(settings), tools=tools,
                       middleware=[access])
    from novita_mcp.client_logs import install as install_client_logs
    from novita_mcp.guard.redact import install_log_redaction

    install_client_logs(server, relay)
    from novita_mcp.catalogue_resources import register_catalogue_resources
    from novita_mcp.media_resources import register_media_resources
    from novita_mcp.prompts import register_prompts

    register_media_resources(server)
    register_catalogue_resources(server, {t.name for t in tools})
    register_prompts(server)
    install_log_redaction(s.get_secret_value() for s in (settings.api_key, settings.token_secret) if s is not None)
    return server
