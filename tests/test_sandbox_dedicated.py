"""The sandbox's dedicated endpoints (REFERENCE.md §8.3): lifecycle, inference on the routing key, money."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from novita_mcp.pricing.platform import DEDICATED_GPU_HOUR_USD
from novita_mcp.sandbox import Sandbox
from novita_mcp.sandbox.dedicated import STARTUP_SECONDS

pytestmark = pytest.mark.anyio

PATH = "/v0/dedicated_endpoints"
H100_MINUTE_UNITS = DEDICATED_GPU_HOUR_USD["gpu-h100-sxm"] * 10_000 / 60


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url,
                                 headers={"Authorization": f"Bearer {sandbox.api_key}"}) as client:
        yield client


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"name": "gpt", "model_name": "openai/gpt-oss-120b", "flavor_name": "base",
                              "gpu_type": "gpu-h100-sxm", "gpu_count": 1,
                              "scaling": {"min_replicas": 1, "max_replicas": 2}}
    values.update(overrides)
    return values


async def create(http: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await http.post(PATH, json=body(**overrides))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def chat(http: httpx.AsyncClient, model: str, text: str = "hello there", **extra: Any) -> httpx.Response:
    return await http.post("/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": text}],
                                                          **extra})


def units(sandbox: Sandbox, endpoint_id: str) -> Decimal:
    return sum((c.amount_units for c in sandbox.state.charges if c.owner_id == endpoint_id), Decimal(0))


async def test_templates_list_deployable_combinations(http) -> None:
    templates = (await http.get(f"{PATH}/templates")).json()["templates"]
    assert {"model_name": "openai/gpt-oss-120b", "flavor_name": "base", "gpu_type": "gpu-h100-sxm", "gpu_count": 1,
            "regions": ["eu-north1", "eu-west1", "us-central1"]} in templates
    assert {t["gpu_type"] for t in templates} <= set(DEDICATED_GPU_HOUR_USD)


async def test_create_answers_the_id_and_routing_key_and_starts_in_the_default_region(http) -> None:
    created = await create(http)
    assert created["id"].startswith("de-")
    assert created["routing_key"] == f"openai/gpt-oss-120b:{created['id']}"
    assert (created["status"], created["region"]) == ("starting", "eu-north1")
    assert created["replicas"] == {"active": 0, "starting": 1}


async def test_inference_is_404_until_ready_then_answers_deterministically(http, sandbox) -> None:
    ep = await create(http)
    early = await chat(http, ep["routing_key"])
    assert (early.status_code, early.json()["reason"]) == (404, "NOT_FOUND")
    sandbox.advance(STARTUP_SECONDS)
    assert (await http.get(f"{PATH}/{ep['id']}")).json()["status"] == "ready"
    first, second = await chat(http, ep["routing_key"]), await chat(http, ep["routing_key"])
    assert first.status_code == 200
    answer = first.json()["choices"][0]["message"]["content"]
    assert answer == second.json()["choices"][0]["message"]["content"]
    assert "hello there" in answer and first.json()["model"] == ep["routing_key"]
    assert first.json()["usage"]["total_tokens"] > 0


async def test_streaming_inference_uses_sse_chunks_and_ends_with_done(http, sandbox) -> None:
    ep = await create(http)
    sandbox.advance(STARTUP_SECONDS)
    response = await chat(http, ep["routing_key"], "stream me", stream=True)
    events = [line.removeprefix("data: ") for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "stream me" in text and chunks[-1]["usage"]["completion_tokens"] > 0


async def test_an_unknown_routing_key_is_404(http) -> None:
    response = await chat(http, "nobody:de-000")
    assert response.status_code == 404


async def test_start_up_is_free_and_active_gpu_minutes_are_billed(http, sandbox) -> None:
    ep = await create(http, gpu_count=1)
    sandbox.advance(STARTUP_SECONDS)
    assert units(sandbox, ep["id"]) == 0
    sandbox.advance(3600)
    assert units(sandbox, ep["id"]) == DEDICATED_GPU_HOUR_USD["gpu-h100-sxm"] * 10_000
    charge = next(c for c in sandbox.state.charges if c.owner_id == ep["id"])
    assert charge.category == "llm_dedicated_endpoint"


async def test_a_partial_minute_is_billed_only_when_the_minute_completes(http, sandbox) -> None:
    ep = await create(http)
    sandbox.advance(STARTUP_SECONDS + 59)
    assert units(sandbox, ep["id"]) == 0
    sandbox.advance(1)
    assert units(sandbox, ep["id"]) == H100_MINUTE_UNITS


async def test_patch_scaling_starts_new_replicas_that_bill_only_once_active(http, sandbox) -> None:
    ep = await create(http)
    sandbox.advance(STARTUP_SECONDS)
    patched = (await http.patch(f"{PATH}/{ep['id']}", json={"scaling": {"min_replicas": 2}})).json()
    assert patched["scaling"] == {"min_replicas": 2, "max_replicas": 2}
    assert patched["replicas"] == {"active": 1, "starting": 1} and patched["status"] == "ready"
    sandbox.advance(STARTUP_SECONDS)
    assert units(sandbox, ep["id"]) == H100_MINUTE_UNITS * 12  # only the first replica's 12 minutes
    sandbox.advance(60)
    assert units(sandbox, ep["id"]) == H100_MINUTE_UNITS * 14


@pytest.mark.parametrize("change", [{"region": "eu-west1"}, {"gpu_type": "gpu-h200-sxm"}, {"color": "red"},
                                    {"scaling": {"min_replicas": 5, "max_replicas": 2}}])
async def test_patch_refuses_immutable_unknown_or_inconsistent_fields(http, change) -> None:
    ep = await create(http)
    response = await http.patch(f"{PATH}/{ep['id']}", json=change)
    assert (response.status_code, response.json()["reason"]) == (400, "INVALID_REQUEST_BODY")
    assert (await http.get(f"{PATH}/{ep['id']}")).json()["scaling"] == {"min_replicas": 1, "max_replicas": 2}


async def test_disabling_stops_serving_and_billing(http, sandbox) -> None:
    ep = await create(http)
    sandbox.advance(STARTUP_SECONDS + 120)
    stopped = (await http.patch(f"{PATH}/{ep['id']}", json={"enabled": False})).json()
    assert stopped["status"] == "stopped"
    billed = units(sandbox, ep["id"])
    sandbox.advance(3600)
    assert units(sandbox, ep["id"]) == billed == H100_MINUTE_UNITS * 2
    assert (await chat(http, ep["routing_key"])).status_code == 404


async def test_delete_releases_replicas_and_bills_the_started_minute(http, sandbox) -> None:
    ep = await create(http)
    sandbox.advance(STARTUP_SECONDS + 90)
    response = await http.delete(f"{PATH}/{ep['id']}")
    assert response.status_code == 200
    assert units(sandbox, ep["id"]) == H100_MINUTE_UNITS * 2
    assert (await http.get(f"{PATH}/{ep['id']}")).status_code == 404
    assert (await chat(http, ep["routing_key"])).status_code == 404
    assert (await http.get(PATH)).json()["endpoints"] == []


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"gpu_count": 3}, "no template"),
    ({"region": "mars-1"}, "region"),
    ({"scaling": {"min_replicas": 1}}, "max_replicas"),
    ({"name": ""}, "name"),
])
async def test_invalid_creates_are_400_with_the_reason(http, sandbox, overrides, fragment) -> None:
    response = await http.post(PATH, json=body(**overrides))
    assert response.status_code == 400 and fragment in response.json()["message"]
    assert sandbox.domain("dedicated").endpoints == {}


async def test_models_lists_the_catalogue_and_only_ready_routing_keys(http, sandbox) -> None:
    # /v1/models is also the Quick Start's first request: the serverless catalogue is listed there too.
    catalogue = [m["id"] for m in (await http.get("/openai/v1/models")).json()["data"]]
    ep = await create(http)
    assert [m["id"] for m in (await http.get("/v1/models")).json()["data"]] == catalogue
    sandbox.advance(STARTUP_SECONDS)
    assert [m["id"] for m in (await http.get("/v1/models")).json()["data"]] == [*catalogue, ep["routing_key"]]


async def test_v1_chat_with_a_catalogue_model_is_answered_and_charged_as_serverless(http, sandbox) -> None:
    model = (await http.get("/openai/v1/models")).json()["data"][0]["id"]
    before = len(sandbox.state.charges)
    r = await http.post("/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 200 and r.json()["model"] == model
    assert sandbox.state.charges[before].category == "llm"


async def test_an_empty_balance_refuses_a_create_with_not_enough_balance(http, sandbox) -> None:
    sandbox.state.balance_units = Decimal(0)
    response = await http.post(PATH, json=body())
    assert (response.status_code, response.json()["reason"]) == (403, "NOT_ENOUGH_BALANCE")


async def test_scaling_down_releases_only_the_replicas_asked_for(http, sandbox) -> None:
    ep = await create(http, scaling={"min_replicas": 3, "max_replicas": 3})
    sandbox.advance(STARTUP_SECONDS)
    patched = (await http.patch(f"{PATH}/{ep['id']}", json={"scaling": {"min_replicas": 1}})).json()
    assert patched["replicas"] == {"active": 1, "starting": 0}
    assert patched["scaling"] == {"min_replicas": 1, "max_replicas": 3}
