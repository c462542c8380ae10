"""The sandbox as a stranger sees it: served over real HTTP, reached only by HTTP or Novita's own SDK.

Contract tests never import ``novita_mcp.client``: if the client and the sandbox shared a
mistake, a test that used one to check the other would agree with it. Here the requests are
the documentation's bodies (plain httpx) or whatever ``novita-client`` sends.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx

from novita_mcp.sandbox import ManualClock, Sandbox

from ..served import serve_over_http

__all__ = ["CONTRACT_KEY", "contract_sandbox", "served", "in_thread", "sdk_client"]

CONTRACT_KEY = "sk_contract_0123456789abcdef"
T = TypeVar("T")


def contract_sandbox() -> Sandbox:
    return Sandbox(clock=ManualClock(), api_key=CONTRACT_KEY)


@asynccontextmanager
async def served(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the sandbox served over a loopback socket, with the key set."""
    async with serve_over_http(sandbox, latency=0) as url:
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {sandbox.api_key}"},
                                     timeout=30) as http:
            yield http


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run a synchronous SDK call in a worker thread while the sandbox serves in this event loop."""
    return await anyio.to_thread.run_sync(fn, *args)


@asynccontextmanager
async def sdk_client(sandbox: Sandbox, monkeypatch: Any) -> AsyncIterator[Any]:
    """``novita_client.NovitaClient`` pointed at the served sandbox.

    The SDK waits between task polls with ``time.sleep``; here a wait advances the sandbox's
    clock instead (from the worker thread, through the event loop), so nothing sleeps. The
    SDK logs every request's headers, key included, at DEBUG: that is its own business, so
    its logger is kept at WARNING here.
    """
    import novita_client.novita

    def wait(seconds: float) -> None:
        anyio.from_thread.run_sync(sandbox.advance, 5.0)

    monkeypatch.setattr(novita_client.novita, "sleep", wait)
    sdk_logger = logging.getLogger("novita_client")
    level = sdk_logger.level
    sdk_logger.setLevel(logging.WARNING)
    try:
        async with serve_over_http(sandbox, latency=0) as url:
            yield novita_client.novita.NovitaClient(sandbox.api_key, base_url=url)
    finally:
        sdk_logger.setLevel(level)
