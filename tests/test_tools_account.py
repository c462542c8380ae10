"""The account toolset, through MCP, against the sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from novita_mcp.sandbox import SEED_BALANCE_USD

from .conftest import connect

pytestmark = pytest.mark.anyio


async def test_get_balance_reports_the_sandbox_balance_in_dollars(make_server) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("get_balance", {})
    assert not result.is_error
    assert Decimal(str(result.structured_content["available_usd"])) == SEED_BALANCE_USD
    assert "$50.00" in result.content[0].text


async def test_usage_bills_follow_new_charges_in_the_sandbox(make_server, sandbox) -> None:
    sandbox.state.charge("llm", category="llm", product_name="qwen/qwen3-8b", amount_units=Decimal(1234))
    async with connect(make_server()) as client:
        result = await client.call_tool("list_usage_bills", {"category": "llm", "product_name": "qwen"})
    assert not result.is_error
    bills = result.structured_content["bills"]
    assert [b["product"] for b in bills] == ["qwen/qwen3-8b"]
    assert Decimal(str(bills[0]["amount_usd"])) == Decimal("0.1234")


async def test_usage_bills_are_paginated_with_a_total_over_all_pages(make_server) -> None:
    async with connect(make_server()) as client:
        first = await client.call_tool("list_usage_bills", {"category": "llm", "start_date": "2026-09-01",
                                                            "end_date": "2026-09-30", "limit": 3})
        rest = await client.call_tool("list_usage_bills", {"category": "llm", "start_date": "2026-09-01",
                                                           "end_date": "2026-09-30", "limit": 100, "offset": 3})
    a, b = first.structured_content, rest.structured_content
    assert a["page"]["returned"] == 3 and a["page"]["next_offset"] == 3
    assert a["page"]["total"] == b["page"]["total"] == 3 + b["page"]["returned"]
    assert b["page"]["next_offset"] is None
    assert a["total_usd"] == b["total_usd"]


async def test_a_window_over_31_days_is_refused_with_the_limit_named(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("list_usage_bills", {"start_date": "2026-07-01", "end_date": "2026-09-01"})
    assert result.is_error
    assert "31 days" in result.content[0].text
    assert sandbox.state.requests_to("/openapi/v1/billing/bill/list") == []


async def test_fixed_term_and_monthly_bills_show_the_seeded_subscription(make_server) -> None:
    async with connect(make_server()) as client:
        fixed = await client.call_tool("list_fixed_term_bills", {"category": "gpu"})
        monthly = await client.call_tool("list_monthly_bills", {})
    assert fixed.structured_content["bills"][0]["trade_type"] == "monthly_new_buy"
    assert Decimal(str(fixed.structured_content["total_usd"])) == Decimal("180")
    statements = monthly.structured_content["statements"]
    assert statements and statements[0]["status"] == "pending"


async def test_bad_arguments_name_the_value_and_the_allowed_ones(make_server) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("list_usage_bills", {"cycle": "year"})
        still_alive = await client.call_tool("get_balance", {})
    assert result.is_error
    text = result.content[0].text
    assert "year" in text and "'hour', 'day', 'week' or 'month'" in text
    assert not still_alive.is_error


async def test_billing_rate_limit_becomes_a_readable_error_with_a_wait(make_server, sandbox) -> None:
    sandbox.state.bill_list_per_second = 1
    async with connect(make_server()) as client:
        await client.call_tool("list_monthly_bills", {})
        result = await client.call_tool("list_monthly_bills", {})
    assert result.is_error
    assert "LIST_BILL_TOO_FAST" in result.content[0].text
    assert "Wait" in result.content[0].text
