"""The serverless job tools through MCP against the sandbox: a job end to end, cancel, consent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from .conftest import connect
from .guarded_flow import MODES, exercise

pytestmark = pytest.mark.anyio

CREATE = "/gpu-instance/openapi/v1/endpoint/create"
UPDATE = "/gpu-instance/openapi/v1/endpoint/update"
DELETE = "/gpu-instance/openapi/v1/endpoint/delete"
ARGS = {"name": "sd", "image": "myrepo/worker:1.0", "product_id": "1", "min_workers": 1, "max_workers": 2}


@pytest.fixture
def server(make_server):
    """Servers whose waits advance the sandbox clock instead of sleeping."""
    return make_server


def units(sandbox, endpoint_id: str) -> Decimal:
    return sum((c.amount_units for c in sandbox.state.charges if c.owner_id == endpoint_id), Decimal(0))


async def create(client, args: dict[str, Any]) -> str:
    first = await client.call_tool("create_serverless_endpoint", args)
    token = first.structured_content["confirmation"]["token"]
    done = await client.call_tool("create_serverless_endpoint", {**args, "confirmation_token": token})
    return str(done.structured_content["result"]["endpoint_id"])


async def test_a_job_runs_end_to_end_for_less_than_its_worst_case_quote(server, sandbox) -> None:
    async with connect(server()) as client:
        endpoint_id = await create(client, {**ARGS, "min_workers": 0, "max_workers": 1})
        run = await client.call_tool("run_serverless_job", {"endpoint_id": endpoint_id, "input": {"prompt": "a cat"}})
        assert run.structured_content["status"] == "done"  # worst case $0.0875: under the auto-approve threshold
        job = run.structured_content["result"]
        assert job["status"] == "PENDING"
        queued = await client.call_tool("get_serverless_job", {"endpoint_id": endpoint_id, "job_id": job["job_id"]})
        assert queued.structured_content["status"] == "IN_QUEUE"
        waiting = {"endpoint_id": endpoint_id, "job_id": job["job_id"], "max_wait_seconds": 50}
        still = await client.call_tool("get_serverless_job", waiting)  # the worker pulls its image for 60 s
        assert "call get_serverless_job again" in still.content[0].text
        finished = await client.call_tool("get_serverless_job", waiting)
    result = finished.structured_content
    assert result["status"] == "COMPLETED" and result["output"]["echo"] == {"prompt": "a cat"}
    sandbox.advance(3600)
    worst_case = Decimal("0.35") * (600 + 300) / 3600
    assert Decimal(0) < units(sandbox, endpoint_id) <= worst_case * 10_000


async def test_cancelling_a_job_is_confirmed_first(server, sandbox) -> None:
    async with connect(server()) as client:
        endpoint_id = await create(client, {**ARGS, "min_workers": 0, "max_workers": 1})
        job_id = (await client.call_tool("run_serverless_job", {"endpoint_id": endpoint_id, "input": {}})
                  ).structured_content["result"]["job_id"]
        first = await client.call_tool("cancel_serverless_job", {"endpoint_id": endpoint_id, "job_id": job_id})
        assert first.structured_content["status"] == "confirmation_required"
        assert sandbox.state.requests_to("/v1/sd/cancel") == []
        token = first.structured_content["confirmation"]["token"]
        done = await client.call_tool("cancel_serverless_job", {"endpoint_id": endpoint_id, "job_id": job_id,
                                                                "confirmation_token": token})
    assert done.structured_content["result"]["status"] == "CANCELLED"


async def _sandbox_endpoint(sandbox) -> tuple[str, str]:
    """An endpoint (1 always-on worker) and a queued job on it, made straight in the sandbox."""
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url,
                                 headers={"Authorization": f"Bearer {sandbox.api_key}"}) as http:
        body = {"endpoint": {"name": "sd", "appName": "sd", "workerConfig": {"minNum": 1, "maxNum": 1, "freeTimeout": 60,
                                                                               "maxConcurrent": 1, "gpuNum": 1},
                             "ports": [{"port": 8000}], "policy": {"type": "queue", "value": 60},
                             "image": {"image": "a/b:1"}, "products": [{"id": "1"}], "healthy": {"path": "/health"}}}
        endpoint_id = (await http.post(CREATE, json=body)).json()["id"]
        job_id = (await http.post("/v1/sd/run", json={"input": {}})).json()["id"]
    return endpoint_id, job_id


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tool", ["run_serverless_job", "cancel_serverless_job"])
async def test_every_guarded_job_tool_waits_for_consent(server, sandbox, tool, mode) -> None:
    endpoint_id, job_id = await _sandbox_endpoint(sandbox)
    jobs = sandbox.domain("serverless").endpoints[endpoint_id].pool.jobs

    def status() -> str:
        return str(jobs[job_id].status(sandbox.state.now()))

    cases: dict[str, tuple[dict[str, Any], str, Any, Any]] = {
        "run_serverless_job": ({"endpoint_id": endpoint_id, "input": {"n": 1}}, "/v1/sd/run",
                               lambda: len(jobs) == 1, lambda: len(jobs) == 2),
        "cancel_serverless_job": ({"endpoint_id": endpoint_id, "job_id": job_id}, "/v1/sd/cancel",
                                  lambda: status() == "IN_QUEUE", lambda: status() == "CANCELLED"),
    }
    args, path, unchanged, changed = cases[tool]
    # A zero auto-approve threshold makes even a cheap job ask first; cancel is a GET (as documented).
    await exercise(server(auto_approve_usd="0"), sandbox, mode, tool, args, path, unchanged, changed,
                   method="GET" if tool == "cancel_serverless_job" else None)
