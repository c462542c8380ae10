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


INSTANCE = {"name": "logs-test", "product_id": "1", "image_url": "pytorch/pytorch:latest"}


def _collector() -> tuple[list[tuple[str, str]], object]:
    received: list[tuple[str, str]] = []

    async def on_log(params) -> None:
        received.append((params.level, str(params.data)))

    return received, on_log


async def test_refused_and_failed_calls_reach_a_client_that_asked(make_server, sandbox) -> None:
    received, on_log = _collector()
    server = make_server(max_gpus=1, deny_tools=["list_clusters"])
    async with Client(server, mode="legacy", logging_callback=on_log) as client:
        await client.set_logging_level("warning")
        refused = await client.call_tool("create_instance", {**INSTANCE, "gpus": 2})  # the guard says no
        failed = await client.call_tool("get_instance", {"instance_id": "no-such-instance"})  # Novita says no
        off = await client.call_tool("list_clusters", {})  # turned off by the deny list
        fine = await client.call_tool("get_balance", {})
    assert refused.is_error and failed.is_error and off.is_error and not fine.is_error
    messages = [text for level, text in received if level == "warning"]
    assert any(m.startswith("create_instance did not run to completion: Refused:") and "NOVITA_MCP_MAX_GPUS" in m
               for m in messages), received
    assert any(m.startswith("get_instance did not run to completion:") for m in messages), received
    assert any("list_clusters" in m and "NOVITA_MCP_DENY_TOOLS" in m for m in messages), received
    assert not any("get_balance" in m for _, m in received)
    assert all("Traceback" not in m for _, m in received)


async def test_a_call_s_log_goes_to_its_own_session_only(make_server, sandbox) -> None:
    mine, on_mine = _collector()
    theirs, on_theirs = _collector()
    server = make_server(max_gpus=1)
    async with Client(server, mode="legacy", logging_callback=on_mine) as me, \
            Client(server, mode="legacy", logging_callback=on_theirs) as other:
        await me.set_logging_level("warning")
        await other.set_logging_level("warning")
        await me.call_tool("create_instance", {**INSTANCE, "name": "private-name", "gpus": 2})
        await other.call_tool("get_balance", {})
    assert any("create_instance" in text for _, text in mine)
    assert theirs == []


async def test_each_server_has_its_own_relay_and_it_leaves_with_the_server(make_server, sandbox) -> None:
    """No process-global relay: a server's subscribers live and die with that server."""
    import logging

    from novita_mcp.client_logs import ClientLogRelay

    def relays() -> list[logging.Handler]:
        return [h for h in logging.getLogger("novita_mcp").handlers if isinstance(h, ClientLogRelay)]

    before = relays()
    first, on_first = _collector()
    second, on_second = _collector()
    sandbox.faults.add(FaultRule("unavailable", path="/openapi/v1/billing/balance", times=1, retry_after=None))
    async with Client(make_server(), mode="legacy", logging_callback=on_first) as one, \
            Client(make_server(), mode="legacy", logging_callback=on_second) as other:
        assert len(relays()) == len(before) + 2
        await one.set_logging_level("info")
        await other.call_tool("get_balance", {})  # the retry is logged; only `one` subscribed
        await one.call_tool("get_task", {"task_id": "nope-not-a-task"})  # an error for `one`
    assert relays() == before
    assert second == []
    assert any("get_task" in text for _, text in first), first
