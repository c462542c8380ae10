"""The sandbox's core: auth per family, balance errors per family, faults, the control API."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from novita_mcp.sandbox import FaultRule, ManualClock, Sandbox, SandboxError

pytestmark = pytest.mark.anyio


def _http(sandbox: Sandbox, key: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(), headers=headers)


@pytest.mark.parametrize(
    ("path", "missing", "wrong"),
    [
        ("/v3/user", (400, "MISSING_API_KEY"), (403, "INVALID_API_KEY")),
        ("/openai/v1/models", (401, "FAILED_TO_AUTH"), (403, "INVALID_API_KEY")),
        ("/gpu-instance/openapi/v1/gpu/instances", (401, "UNAUTHORIZED"), (401, "UNAUTHORIZED")),
        ("/openapi/v1/billing/balance/detail", (401, "UNAUTHORIZED"), (401, "UNAUTHORIZED")),
    ],
)
async def test_each_family_rejects_a_missing_or_wrong_key_as_documented(sandbox, path, missing, wrong) -> None:
    for key, (status, reason) in ((None, missing), ("sk_wrong", wrong)):
        async with _http(sandbox, key) as http:
            response = await http.get(path)
        body = response.json()
        assert (response.status_code, body["reason"]) == (status, reason)
        assert body["code"] == status and "message" in body and "metadata" in body


@pytest.mark.parametrize(
    ("family", "status", "reason"),
    [("llm", 403, "NOT_ENOUGH_BALANCE"), ("media", 400, "BILLING_BALANCE_NOT_ENOUGH"), ("gpu", 400, "BALANCE_NOT_ENOUGH")],
)
def test_an_empty_balance_refuses_a_charge_with_the_family_error(family, status, reason) -> None:
    sandbox = Sandbox(clock=ManualClock(), seed=False)
    sandbox.state.top_up("0.01")
    with pytest.raises(SandboxError) as info:
        sandbox.state.charge(family, category="llm", product_name="x", amount_units=Decimal(101))
    assert (info.value.status, info.value.reason) == (status, reason)
    assert sandbox.state.balance_units == Decimal(100)
    assert sandbox.state.charges == []


def test_fractions_of_a_unit_are_carried_exactly() -> None:
    sandbox = Sandbox(clock=ManualClock(), seed=False)
    sandbox.state.top_up("1")
    for _ in range(4):
        sandbox.state.charge("media", category="gen_api", product_name="flux", amount_units=Decimal("7.5"))
    assert sandbox.state.balance_units == Decimal(10_000 - 30)


async def test_injected_faults_fire_the_configured_number_of_times(sandbox) -> None:
    sandbox.faults.add(FaultRule("server_error", path="/v3/user", times=2))
    async with _http(sandbox, sandbox.api_key) as http:
        statuses = [(await http.get("/v3/user")).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]


async def test_a_rate_limit_fault_carries_retry_after_and_the_envelope(sandbox) -> None:
    sandbox.faults.add(FaultRule("rate_limit", path="/openapi/", retry_after=4))
    async with _http(sandbox, sandbox.api_key) as http:
        response = await http.get("/openapi/v1/billing/balance/detail")
    assert response.status_code == 429 and response.headers["retry-after"] == "4"
    assert response.json()["reason"] == "RATE_LIMIT_EXCEEDED"


async def test_the_control_api_advances_time_adds_faults_and_tops_up(sandbox) -> None:
    start = sandbox.clock.now()
    async with _http(sandbox, sandbox.api_key) as http:
        assert (await http.post("/_sandbox/clock/advance", json={"seconds": 60})).json()["now"] == start + 60
        await http.post("/_sandbox/top-up", json={"usd": "5"})
        await http.post("/_sandbox/faults", json={"kind": "unavailable", "path": "/v3/user"})
        assert (await http.get("/v3/user")).status_code == 503
        balance = (await http.get("/v3/user")).json()["credit_balance"]
    assert balance == 550_000


async def test_unknown_routes_answer_with_the_family_envelope(sandbox) -> None:
    async with _http(sandbox, sandbox.api_key) as http:
        response = await http.get("/v3/no-such-api")
    assert response.status_code == 404 and response.json()["reason"] == "API_NOT_FOUND"


async def test_every_request_is_logged_with_its_status(sandbox) -> None:
    async with _http(sandbox, "sk_wrong") as http:
        await http.get("/v3/user")
    (record,) = sandbox.state.requests_to("/v3/user")
    assert (record.method, record.status) == ("GET", 403)
