"""The sandbox's serverless endpoints (REFERENCE.md §7): shapes, lifecycle, jobs and money."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from novita_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio

BASE = "/gpu-instance/openapi/v1"
RTX_4090_PRICE = 35_000  # 1/100000 USD per GPU-hour, from the sandbox's /products


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url,
                                 headers={"Authorization": f"Bearer {sandbox.api_key}"}) as client:
        yield client


def spec(**overrides: Any) -> dict[str, Any]:
    endpoint: dict[str, Any] = {
        "name": "sd", "appName": "sd",
        "workerConfig": {"minNum": 1, "maxNum": 2, "freeTimeout": 300, "maxConcurrent": 1, "gpuNum": 1},
        "ports": [{"port": "8000"}], "policy": {"type": "queue", "value": 60},
        "image": {"image": "myrepo/worker:1.0", "authId": "", "command": ""}, "products": [{"id": "1"}],
        "rootfsSize": 100, "volumeMounts": [{"type": "local", "size": 30, "mountPath": "/workspace"}],
        "clusterID": "", "envs": [{"key": "MODEL", "value": "sdxl"}], "healthy": {"path": "/health"},
    }
    endpoint.update(overrides)
    return {"endpoint": endpoint}


async def create(http: httpx.AsyncClient, **overrides: Any) -> str:
    response = await http.post(f"{BASE}/endpoint/create", json=spec(**overrides))
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def get(http: httpx.AsyncClient, endpoint_id: str) -> dict[str, Any]:
    response = await http.get(f"{BASE}/endpoint", params={"id": endpoint_id})
    assert response.status_code == 200, response.text
    return response.json()["endpoint"]  # type: ignore[no-any-return]


def worker_seconds(seconds: int) -> Decimal:
    """What one 1-GPU RTX 4090 worker costs for ``seconds``, in units (kept to 1e-12 of a unit)."""
    return (Decimal(seconds) * RTX_4090_PRICE / 36_000).quantize(Decimal("1e-12"))


def serverless_units(sandbox: Sandbox, endpoint_id: str) -> Decimal:
    return sum((c.amount_units for c in sandbox.state.charges if c.owner_id == endpoint_id), Decimal(0))


async def test_limits_answer_every_documented_key_as_integers(http) -> None:
    body = (await http.get(f"{BASE}/endpoint/limit")).json()
    for key in ("minRootfsSize", "maxRootfsSize", "freeRootfsSize", "minLocalVolumeSize", "maxLocalVolumeSize",
                "freeLocalVolumeSize", "minWorkerNum", "maxWorkerNum", "minFreeTimeout", "maxFreeTimeout",
                "minConcurrencyNum", "maxConcurrencyNum", "minQueueWaitTime", "maxQueueWaitTime", "minRequestNum",
                "maxRequestNum", "minGPUNum", "maxGPUNum"):
        assert isinstance(body[key], int), key
    assert all(isinstance(v, str) for v in body["cudaVersionList"])


async def test_an_endpoint_deploys_then_serves_once_its_workers_have_pulled(http, sandbox) -> None:
    endpoint_id = await create(http)
    first = await get(http, endpoint_id)
    assert first["state"]["state"] == "deploying"
    assert [w["state"]["state"] for w in first["workers"]] == ["pulling"]
    sandbox.advance(60)
    ready = await get(http, endpoint_id)
    assert ready["state"]["state"] == "serving"
    assert [(w["state"]["state"], w["healthy"]) for w in ready["workers"]] == [("running", True)]


async def test_the_endpoint_object_keeps_the_documented_type_quirks(http) -> None:
    endpoint = await get(http, await create(http))
    assert endpoint["workerConfig"]["freeTimeout"] == "300"
    assert endpoint["workerConfig"]["maxConcurrent"] == "1"
    assert endpoint["policy"] == {"type": "queue", "value": "60"}
    assert endpoint["ports"] == [{"port": 8000}]
    assert "clusterID" in endpoint and "clusterId" not in endpoint
    assert endpoint["healthy"]["path"] == "/health" and endpoint["healthy"]["failureThreshold"] == 3


async def test_array_of_one_object_fields_and_numeric_strings_are_accepted(http) -> None:
    endpoint_id = await create(http, workerConfig=[{"minNum": "0", "maxNum": "3", "freeTimeout": "60",
                                                    "maxConcurrent": "2", "gpuNum": "2"}],
                               policy=[{"type": "concurrency", "value": "4"}], image=[{"image": "a/b:1"}])
    endpoint = await get(http, endpoint_id)
    assert endpoint["workerConfig"]["maxNum"] == 3 and endpoint["workerConfig"]["gpuNum"] == 2
    assert endpoint["policy"] == {"type": "concurrency", "value": "4"}
    assert endpoint["image"]["image"] == "a/b:1"
    assert endpoint["workers"] == []


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"workerConfig": {"minNum": 3, "maxNum": 1, "freeTimeout": 300, "maxConcurrent": 1, "gpuNum": 1}},
     "VALIDATOR_PARAM"),
    ({"products": [{"id": "nope"}]}, "SERVERLESS_PRODUCT_NOT_FOUND"),
    ({"ports": [{"port": "8000"}, {"port": "9000"}]}, "VALIDATOR_PARAM"),
    ({"policy": {"type": "latency", "value": 1}}, "VALIDATOR_PARAM"),
    ({"volumeMounts": [{"type": "network", "id": "st-1", "mountPath": "/network"}]}, "VALIDATOR_PARAM"),
])
async def test_invalid_creates_fail_with_the_gpu_family_400_and_reason(http, sandbox, overrides, reason) -> None:
    response = await http.post(f"{BASE}/endpoint/create", json=spec(**overrides))
    assert response.status_code == 400
    assert response.json()["reason"] == reason
    assert sandbox.domain("serverless").endpoints == {}


async def test_an_app_name_can_be_used_once(http) -> None:
    await create(http)
    response = await http.post(f"{BASE}/endpoint/create", json=spec(name="other"))
    assert response.json()["reason"] == "SERVERLESS_APP_NAME_IS_EXIST"


async def test_an_unknown_endpoint_is_a_400_not_found_as_in_the_gpu_family(http) -> None:
    response = await http.get(f"{BASE}/endpoint", params={"id": "missing"})
    assert (response.status_code, response.json()["reason"]) == (400, "SERVERLESS_ENDPOINT_NOT_FOUND")


async def test_list_pages_with_page_size_and_zero_based_page_num(http) -> None:
    for i in range(3):
        await create(http, name=f"e{i}", appName=f"e{i}")
    first = (await http.get(f"{BASE}/endpoints", params={"pageSize": 2, "pageNum": 0})).json()
    second = (await http.get(f"{BASE}/endpoints", params={"pageSize": 2, "pageNum": 1})).json()
    assert first["total"] == second["total"] == 3
    assert len(first["endpoints"]) == 2 and len(second["endpoints"]) == 1
    assert {e["name"] for e in first["endpoints"] + second["endpoints"]} == {"e0", "e1", "e2"}


async def test_always_on_workers_are_billed_per_second_at_the_product_price(http, sandbox) -> None:
    endpoint_id = await create(http, workerConfig={"minNum": 2, "maxNum": 2, "freeTimeout": 300,
                                                   "maxConcurrent": 1, "gpuNum": 2})
    sandbox.advance(3600)
    # 2 workers x 2 GPUs x $0.35/GPU-hour = $1.40 = 14000 units, start-up included.
    assert serverless_units(sandbox, endpoint_id) == Decimal(RTX_4090_PRICE) * 4 / 10
    charge = next(c for c in sandbox.state.charges if c.owner_id == endpoint_id)
    assert (charge.category, charge.product_name) == ("serverless", "RTX 4090 24GB")
    bills = (await http.get("/openapi/v1/billing/bill/list",
                            params={"cycleType": "Day", "productCategory": "serverless"})).json()["bills"]
    assert any(b["ownerID"] == endpoint_id for b in bills)


async def test_a_job_on_a_scaled_to_zero_endpoint_starts_a_worker_then_completes(http, sandbox) -> None:
    endpoint_id = await create(http, workerConfig={"minNum": 0, "maxNum": 1, "freeTimeout": 30,
                                                   "maxConcurrent": 1, "gpuNum": 1})
    run = await http.post("/v1/sd/run", json={"input": {"prompt": "a cat"}})
    assert run.json()["status"] == "PENDING"
    job_id = run.json()["id"]
    status = (await http.get(f"/v1/sd/status/{job_id}")).json()
    assert status["status"] == "IN_QUEUE"
    sandbox.advance(61)
    assert (await http.get(f"/v1/sd/status/{job_id}")).json()["status"] == "IN_PROGRESS"
    sandbox.advance(4)
    done = (await http.get(f"/v1/sd/status/{job_id}")).json()
    assert done["status"] == "COMPLETED"
    assert done["output"]["echo"] == {"prompt": "a cat"}
    assert done["delayTime"] == 60_000 and done["executionTime"] == 5_000
    sandbox.advance(3600)
    assert (await get(http, endpoint_id))["workers"] == []
    # Billed: 60 s pulling + 5 s job + 30 s idle timeout, then released.
    assert serverless_units(sandbox, endpoint_id) == worker_seconds(95)


async def test_a_queued_job_can_be_cancelled_by_get_or_post(http, sandbox) -> None:
    await create(http, name="q", appName="q")
    first = (await http.post("/v1/q/run", json={"input": {}})).json()["id"]
    second = (await http.post("/v1/q/run", json={"input": {}})).json()["id"]
    assert (await http.get(f"/v1/q/cancel/{first}")).json()["status"] == "CANCELLED"
    assert (await http.post(f"/v1/q/cancel/{second}")).json()["status"] == "CANCELLED"
    sandbox.advance(600)
    assert (await http.get(f"/v1/q/status/{first}")).json()["status"] == "CANCELLED"
    stats = (await http.get("/v1/q/stats")).json()
    assert stats["jobs"]["cancelled"] == 2 and stats["jobs"]["completed"] == 0


async def test_update_replaces_the_config_and_new_minimum_workers_start(http, sandbox) -> None:
    endpoint_id = await create(http)
    body = spec()["endpoint"] | {"id": endpoint_id}
    body["workerConfig"] = {"minNum": 3, "maxNum": 4, "freeTimeout": 120, "maxConcurrent": 1, "gpuNum": 1}
    response = await http.post(f"{BASE}/endpoint/update", json=body)
    assert response.status_code == 200
    endpoint = await get(http, endpoint_id)
    assert endpoint["workerConfig"]["minNum"] == 3 and len(endpoint["workers"]) == 3


async def test_delete_takes_the_id_under_name_and_stops_billing(http, sandbox) -> None:
    endpoint_id = await create(http)
    sandbox.advance(100)
    response = await http.post(f"{BASE}/endpoint/delete", json={"name": endpoint_id})
    assert response.status_code == 200
    billed = serverless_units(sandbox, endpoint_id)
    assert billed == worker_seconds(100)
    sandbox.advance(3600)
    assert serverless_units(sandbox, endpoint_id) == billed
    missing = await http.post(f"{BASE}/endpoint/delete", json={"name": endpoint_id})
    assert missing.json()["reason"] == "SERVERLESS_ENDPOINT_NOT_FOUND"


async def test_the_async_api_needs_the_key_and_knows_its_endpoints(http, sandbox) -> None:
    await create(http)
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url) as anonymous:
        denied = await anonymous.post("/v1/sd/run", json={"input": {}})
    assert (denied.status_code, denied.json()["reason"]) == (401, "UNAUTHORIZED")
    unknown = await http.post("/v1/nope/run", json={"input": {}})
    assert unknown.status_code == 404
    no_input = await http.post("/v1/sd/run", json={"prompt": "x"})
    assert no_input.status_code == 400
