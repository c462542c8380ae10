"""``build_server(settings, transport=None)``: the MCP server with its selected toolsets.

The toolset registry lives here: an id, a one-line description, whether it is on by
default, and the module that declares its tools (imported only when selected).
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from mcp.server.mcpserver import MCPServer

from novita_mcp import __version__
from novita_mcp.settings import Settings

__all__ = ["build_server", "TOOLSETS", "ToolsetInfo", "select_toolsets", "load_toolset", "SERVER_NAME"]

log = logging.getLogger("novita_mcp")

SERVER_NAME = "novita-mcp"


@dataclass(frozen=True)
class ToolsetInfo:
    id: str
    description: str
    default: bool
    module: str


TOOLSETS: tuple[ToolsetInfo, ...] = (
    ToolsetInfo("account", "Balance and bills: usage-based, subscriptions, monthly statements.", True,
                "novita_mcp.tools.account"),
    ToolsetInfo("llm", "LLM models and prices, chat, embeddings, rerank.", True, "novita_mcp.tools.llm"),
    ToolsetInfo("batch", "LLM batches: run many chat requests asynchronously, follow, cancel, read results.", False,
                "novita_mcp.tools.llm_batch"),
    ToolsetInfo("media", "Images, video and speech: generate, edit, transcribe; async tasks with progress.", True,
                "novita_mcp.tools.media"),
    ToolsetInfo("gpu", "GPU/CPU instances: prices, create, start/stop/delete, wait, metrics, spend now.", True,
                "novita_mcp.tools.gpu"),
    ToolsetInfo("gpu_resources", "Templates, network storage, registry credentials.", False,
                "novita_mcp.tools.gpu_resources"),
    ToolsetInfo("serverless", "Serverless GPU endpoints: create, scale, delete; run async jobs.", False,
                "novita_mcp.tools.serverless"),
    ToolsetInfo("dedicated", "Dedicated LLM endpoints: templates, create, scale, delete.", False,
                "novita_mcp.tools.dedicated"),
    ToolsetInfo("network", "VPC networks for GPU instances: create, rename, delete.", False,
                "novita_mcp.tools.network"),
    ToolsetInfo("training", "LoRA training (style, subject): upload images, train, follow, list models.", False,
                "novita_mcp.tools.training"),
)

INSTRUCTIONS = """\
Novita AI through guarded tools. Read tools run freely. Tools that spend money or destroy something are \
checked by the server first: some run at once (cheap one-off calls), some are refused with the reason \
(read-only mode, budgets, caps, balance), and the rest need the user's approval - either through a \
confirmation form, or by returning status "confirmation_required" with a plan and a token. In that case \
show the plan to the user, and only if they approve call the same tool again with the same arguments \
and confirmation_token. Never approve on the user's behalf. Prices are in USD."""


def select_toolsets(requested: list[str] | None, *, read_only: bool = False) -> list[ToolsetInfo]:
    """The toolsets to expose. Raises ValueError naming any unknown id and the allowed ones.

    ``default`` names the default toolsets (so a config can switch to ``all`` by one word) and
    may be combined with ids (``default,batch``); ids are case-insensitive.
    """
    del read_only
    known = {t.id: t for t in TOOLSETS}
    wanted = [r.strip().lower() for r in requested or [] if r.strip()]
    if not wanted:
        wanted = ["default"]
    if "all" in wanted:
        return list(TOOLSETS)
    unknown = [r for r in wanted if r not in known and r != "default"]
    if unknown:
        raise ValueError(f"unknown toolset {', '.join(map(repr, unknown))}; choose from: "
                         f"{', '.join(known)} (or 'default', 'all')")
    ids = {t.id for t in TOOLSETS if t.default} if "default" in wanted else set()
    ids |= set(wanted)
    return [t for t in TOOLSETS if t.id in ids]


def load_toolset(info: ToolsetInfo) -> Any:
    return importlib.import_module(info.module).TOOLSET


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
    clock: Callable[[], float] | None = None,
    extras: dict[str, Any] | None = None,
    retry: Any = None,
) -> MCPServer:
    """Assemble the server. ``transport`` replaces the network (the sandbox, or a test seam);
    ``clock`` is the server's notion of now (tokens, budgets, bill windows); ``retry`` a
    ``RetryPolicy`` (tests inject one that does not sleep)."""
    from novita_mcp.tools._register import tool_object

    selected = select_toolsets(settings.toolsets)
    now = clock or time.time

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[Any]:
        from novita_mcp.client import NovitaClient
        from novita_mcp.guard import build_guard
        from novita_mcp.toolkit import Services

        client = NovitaClient.from_settings(settings, transport=transport, retry=retry)
        guard = build_guard(settings, client, clock=now)
        try:
            yield Services(settings=settings, client=client, guard=guard, extras=dict(extras or {}))
        finally:
            await client.aclose()
            guard.ledger.close()

    from novita_mcp.tool_access import ToolAccess

    # Read-only mode and the allow/deny lists, read tools included: what is listed is what may run.
    access = ToolAccess(settings)
    tools = [tool_object(spec) for info in selected for spec in load_toolset(info).tools if access.exposes(spec)]
    # log_level: the SDK configures root logging at construction; INFO would log every HTTP request.
    server = MCPServer(SERVER_NAME, version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan,
                       log_level="WARNING", request_state_security=_request_state_security(settings), tools=tools,
                       middleware=[access])
    from novita_mcp.client_logs import install as install_client_logs
    from novita_mcp.guard.redact import install_log_redaction

    install_client_logs(server)
    from novita_mcp.catalogue_resources import register_catalogue_resources
    from novita_mcp.media_resources import register_media_resources
    from novita_mcp.prompts import register_prompts

    register_media_resources(server)
    register_catalogue_resources(server, {t.name for t in tools})
    register_prompts(server)
    install_log_redaction(s.get_secret_value() for s in (settings.api_key, settings.token_secret) if s is not None)
    return server
