"""The sandbox served over real HTTP, with latency: where races and network failures live.

In-process calls to the sandbox never yield, so a guard that checks, awaits Novita and only
then records looks correct there. Here the sandbox runs under uvicorn on a loopback port in
the test's own event loop, every API request waits ``latency`` real seconds, and the server
under test reaches it with a real httpx client over a socket. The sandbox object stays in
the test's hands, so its state and request log are the ground truth to judge by.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import anyio
import uvicorn

from novita_mcp.client import RetryPolicy
from novita_mcp.hooks import Hooks
from novita_mcp.sandbox import Sandbox
from novita_mcp.server import build_server
from novita_mcp.settings import Settings

__all__ = ["serve_asgi", "serve_over_http", "serve_mcp_over_http", "http_server"]


@asynccontextmanager
async def serve_asgi(app: Any, *, host: str = "127.0.0.1", lifespan: str = "off") -> AsyncIterator[int]:
    """Serve an ASGI app on a free port of ``host`` in this event loop; yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan=lifespan))
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        with anyio.fail_after(10):
            while not server.started:
                await anyio.sleep(0.01)
        try:
            yield sock.getsockname()[1]
        finally:
            server.should_exit = True
    sock.close()


@asynccontextmanager
async def serve_over_http(sandbox: Sandbox, *, latency: float = 0.05) -> AsyncIterator[str]:
    """Serve ``sandbox`` on a free loopback port, every API request ``latency`` seconds late."""
    sandbox.faults.latency = latency
    async with serve_asgi(sandbox.app) as port:
        yield f"http://127.0.0.1:{port}"


@asynccontextmanager
async def serve_mcp_over_http(server: Any) -> AsyncIterator[str]:
    """A novita-mcp server's streamable HTTP app on a loopback port; yields the ``/mcp`` URL."""
    from novita_mcp.http_app import build_http_app

    async with serve_asgi(build_http_app(server, host="127.0.0.1", token=None), lifespan="on") as port:
        yield f"http://127.0.0.1:{port}/mcp"


def http_server(sandbox: Sandbox, base_url: str, make_settings: Callable[..., Settings], *,
                hooks: dict[str, Any] | None = None, **overrides: Any) -> Any:
    """A novita-mcp server whose Novita client reaches the served sandbox over a real socket.

    Waits between polls advance the sandbox clock instead of sleeping; retries do not sleep.
    """

    async def advance(seconds: float) -> None:
        sandbox.advance(seconds)

    async def no_sleep(seconds: float) -> None:
        await anyio.sleep(0)

    settings = make_settings(base_url=base_url, dedicated_base_url=base_url, **overrides)
    seams = Hooks(clock=sandbox.clock.now, sleep=advance, retry=RetryPolicy(3, sleep=no_sleep))
    return build_server(settings, hooks=replace(seams, **(hooks or {})))
