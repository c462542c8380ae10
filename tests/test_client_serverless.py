"""client.serverless: the control plane and async jobs, against the sandbox and odd shapes."""

from __future__ import annotations

import json

import httpx
import pytest

from novita_mcp.client import NovitaClient
from novita_mcp.client.serverless import ServerlessEndpoint, async_base_url

pytestmark = pytest.mark.anyio

ENDPOINT = {
    "name": "sd", "appName": "sd",
    "workerConfig": {"minNum": 0, "maxNum": 1, "freeTimeout": 30, "maxConcurrent": 1, "gpuNum": 1},
    "ports": [{"port": "8000"}], "policy": {"type": "queue", "value": 60}, "image": {"image": "a/b:1"},
    "products": [{"id": "1"}], "rootfsSize": 100, "volumeMounts": [], "healthy": {"path": "/health"},
}


def test_async_jobs_go_to_novitas_async_host_only_for_the_public_api() -> None:
    assert async_base_url("https://api.novita.ai") == "https://async.novita.ai"
    assert async_base_url("http://127.0.0.1:8787/") == "http://127.0.0.1:8787"


def test_an_endpoint_parses_objects_or_arrays_of_one_and_string_numbers() -> None:
    ep = ServerlessEndpoint.parse({
        "id": "e1", "state": {"state": "serving", "error": "", "message": "ok"},
        "workerConfig": [{"minNum": "1", "maxNum": "2", "freeTimeout": "300", "maxConcurrent": "1", "gpuNum": 1}],
        "policy": [{"type": "queue", "value": "60"}], "image": [{"image": "a/b:1"}], "products": [{"id": "4"}],
        "workers": [{"id": "w", "state": {"state": "running"}, "healthy": True}], "clusterID": "5",
    })
    assert (ep.state, ep.state_message, ep.image, ep.product_ids, ep.cluster_id) == ("serving", "ok", "a/b:1", ["4"], "5")
    assert (ep.worker_config.min_num, ep.worker_config.free_timeout, ep.policy.value) == (1, 300, 60)
    assert ep.workers[0].state == "running"


async def test_the_key_reaches_the_async_host_and_delete_sends_the_id_as_name() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/run"):
            return httpx.Response(200, json={"id": "job-1", "status": "PENDING"})
        return httpx.Response(200, json={})

    async with NovitaClient(api_key="sk_x", transport=httpx.MockTransport(handler)) as client:
        job = await client.serverless.run("sd", {"prompt": "x"})
        await client.serverless.delete("e1")
    assert (job.id, job.status) == ("job-1", "PENDING")
    run, delete = seen
    assert str(run.url) == "https://async.novita.ai/v1/sd/run"
    assert run.headers["authorization"] == "Bearer sk_x"
    assert json.loads(run.content) == {"input": {"prompt": "x"}}
    assert json.loads(delete.content) == {"name": "e1"}


async def test_a_full_round_trip_against_the_sandbox(sandbox) -> None:
    async with NovitaClient(api_key=sandbox.api_key, base_url=sandbox.base_url, transport=sandbox.transport()) as client:
        limits = await client.serverless.limits()
        endpoint_id = await client.serverless.create(ENDPOINT)
        listed, total = await client.serverless.list()
        ep = await client.serverless.get(endpoint_id)
        await client.serverless.update(endpoint_id, {**ENDPOINT, "workerConfig": {**ENDPOINT["workerConfig"], "maxNum": 2}})
        job = await client.serverless.run("sd", {"n": 1})
        sandbox.advance(70)
        status = await client.serverless.job("sd", job.id)
        products = await client.serverless.gpu_products()
        await client.serverless.delete(endpoint_id)
    assert limits.max_gpu_num >= 1 and limits.cuda_versions
    assert total == 1 and listed[0].id == endpoint_id == ep.id
    assert (ep.worker_config.max_num, ep.raw["appName"]) == (1, "sd")
    assert (status.status, status.output["echo"]) == ("COMPLETED", {"n": 1})
    assert any(p.id == "1" and p.usd_per_gpu_hour > 0 for p in products)
