"""The billing endpoints report the charge log with the documented shapes and errors."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

pytestmark = pytest.mark.anyio


def _http(sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(),
                             headers={"Authorization": f"Bearer {sandbox.api_key}"})


async def test_balance_is_reported_as_strings_in_ten_thousandths_of_a_dollar(sandbox) -> None:
    async with _http(sandbox) as http:
        detail = (await http.get("/openapi/v1/billing/balance/detail")).json()
        user = (await http.get("/v3/user")).json()
    assert detail["availableBalance"] == "500000" and isinstance(detail["cashBalance"], str)
    assert user["credit_balance"] == 500000 and isinstance(user["allow_features"], list)


async def test_usage_bills_validate_cycle_and_category(sandbox) -> None:
    async with _http(sandbox) as http:
        bad_cycle = await http.get("/openapi/v1/billing/bill/list", params={"cycleType": "Year", "productCategory": "llm"})
        bad_cat = await http.get("/openapi/v1/billing/bill/list", params={"cycleType": "Day", "productCategory": "food"})
    assert (bad_cycle.status_code, bad_cycle.json()["reason"]) == (400, "INVALID_BILL_CYCLE")
    assert (bad_cat.status_code, bad_cat.json()["reason"]) == (400, "INVALID_PRODUCT_CATEGORY")


async def test_a_new_charge_appears_in_its_day_with_llm_token_counts(sandbox) -> None:
    now = int(sandbox.clock.now())
    sandbox.state.charge("llm", category="llm", product_name="m1", amount_units=Decimal(39), bill_num0=Decimal(5000),
                         bill_num1=Decimal(5000), unit_price0=Decimal(3900), unit_price1=Decimal(3900), owner_id="")
    async with _http(sandbox) as http:
        body = (await http.get("/openapi/v1/billing/bill/list", params={
            "cycleType": "Day", "productCategory": "llm", "productName": "M1", "startTime": now - 10, "endTime": now + 10,
        })).json()
    (bill,) = body["bills"]
    assert bill["ownerID"] == "" and bill["billNum0"] == "5000" and bill["amount"] == "39"
    assert all(isinstance(v, str) for v in bill.values())
    assert int(bill["startTime"]) <= now < int(bill["endTime"])


async def test_summary_groups_by_category(sandbox) -> None:
    async with _http(sandbox) as http:
        body = (await http.get("/openapi/v1/billing/bill/list", params={"cycleType": "Month", "productCategory": "summary"})).json()
    categories = {b["category"] for b in body["bills"]}
    assert {"llm", "gpu", "gen_api"} <= categories


async def test_monthly_bills_page_from_one_without_a_total(sandbox) -> None:
    sandbox.advance(40 * 86400)
    sandbox.state.charge("llm", category="llm", product_name="m", amount_units=Decimal(100))
    async with _http(sandbox) as http:
        first = (await http.get("/openapi/v1/billing/monthly/bill", params={"page": 1, "pageSize": 1})).json()
        second = (await http.get("/openapi/v1/billing/monthly/bill", params={"page": 2, "pageSize": 1})).json()
    assert set(first) == {"data"}
    assert first["data"][0]["status"] == "pending" and second["data"][0]["status"] == "paid"
    assert second["data"][0]["invoiceUrl"]


async def test_bill_lists_called_too_fast_get_list_bill_too_fast(sandbox) -> None:
    sandbox.state.bill_list_per_second = 2
    async with _http(sandbox) as http:
        statuses = [(await http.get("/openapi/v1/billing/bill/monthly/list")).status_code for _ in range(3)]
        sandbox.advance(1.5)
        after = (await http.get("/openapi/v1/billing/bill/monthly/list")).status_code
    assert statuses == [200, 200, 429] and after == 200
