"""client.dedicated: lifecycle and inference on the dedicated base URL."""

from __future__ import annotations

import json

import httpx
import pytest

from novita_mcp.client import NovitaClient
from novita_mcp.sandbox.dedicated import STARTUP_SECONDS

pytestmark = pytest.mark.anyio


async def test_calls_go_to_the_dedicated_base_url_with_the_key_and_patch_is_partial() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "de-1", "scaling": {"min_replicas": 2, "max_replicas": 3}})

    async with NovitaClient(api_key="sk_x", dedicated_base_url="https://dedicated.example",
                            transport=httpx.MockTransport(handler)) as client:
        ep = await client.dedicated.update("de-1", scaling={"min_replicas": 2, "max_replicas": 3}, name=None)
    (request,) = seen
    assert (request.method, str(request.url)) == ("PATCH", "https://dedicated.example/v0/dedicated_endpoints/de-1")
    assert request.headers["authorization"] == "Bearer sk_x"
    assert json.loads(request.content) == {"scaling": {"min_replicas": 2, "max_replicas": 3}}
    assert ep.scaling.min_replicas == 2


async def test_a_full_round_trip_against_the_sandbox(sandbox) -> None:
    async with NovitaClient(api_key=sandbox.api_key, base_url=sandbox.base_url, dedicated_base_url=sandbox.base_url,
                            transport=sandbox.transport()) as client:
        templates = await client.dedicated.templates()
        ep = await client.dedicated.create(name="gpt", model_name="openai/gpt-oss-120b", flavor_name="base",
                                           gpu_type="gpu-h100-sxm", gpu_count=1, min_replicas=1, max_replicas=1)
        sandbox.advance(STARTUP_SECONDS)
        ready = await client.dedicated.get(ep.id)
        answer = await client.dedicated.chat(ep.routing_key, [{"role": "user", "content": "ping"}], max_tokens=3)
        listed = await client.dedicated.list()
        await client.dedicated.delete(ep.id)
        after = await client.dedicated.list()
    assert any(t.model_name == "openai/gpt-oss-120b" for t in templates)
    assert (ep.status, ready.status, ready.replicas.active) == ("starting", "ready", 1)
    assert answer.finish_reason == "length" and answer.completion_tokens == 3
    assert [e.id for e in listed] == [ep.id] and after == []
