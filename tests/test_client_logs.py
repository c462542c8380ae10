"""MCP logging: a client that asks gets the server's own log records at its level."""

from __future__ import annotations

import pytest
from mcp import Client

from novita_mcp.sandbox import FaultRule

# logging/setLevel is the 2025-11-25 method this feature answers; the SDK warns that 2026-07-28 retired it.
pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")]


async def test_a_client_that_sets_a_level_sees_retries_as_log_messages(make_server, sandbox) -> None:
    received: list[tuple[str, str]] = []

    async def on_log(params) -> None:
        received.append((params.level, str(params.data)))

    sandbox.faults.add(FaultRule("unavailable", path="/openapi/v1/billing/balance", times=1, retry_after=None))
    async with Client(make_server(), mode="legacy", logging_callback=on_log) as client:
        await client.set_logging_level("info")
        result = await client.call_tool("get_balance", {})
    assert not result.is_error
    assert any(level == "info" and "retrying GET /openapi/v1/billing/balance/detail" in text and "HTTP 503" in text
               for level, text in received), received


async def test_messages_below_the_chosen_level_are_not_sent(make_server, sandbox) -> None:
    received: list[str] = []

    async def on_log(params) -> None:
        received.append(str(params.data))

    sandbox.faults.add(FaultRule("unavailable", path="/openapi/v1/billing/balance", times=1, retry_after=None))
    async with Client(make_server(), mode="legacy", logging_callback=on_log) as client:
        await client.set_logging_level("error")
        await client.call_tool("get_balance", {})
    assert received == []


async def test_the_logging_capability_is_declared(make_server) -> None:
    async with Client(make_server(), mode="legacy") as client:
        assert client.session.server_capabilities.logging is not None  # type: ignore[union-attr]
