"""The serverless toolset through MCP against the sandbox: guarded lifecycle, waits, jobs, money."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from .conftest import connect, elicitation
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


async def create(client, args: dict[str, Any] | None = None) -> str:
    args = args or ARGS
    first = await client.call_tool("create_serverless_endpoint", args)
    token = first.structured_content["confirmation"]["token"]
    done = await client.call_tool("create_serverless_endpoint", {**args, "confirmation_token": token})
    assert done.structured_content["status"] == "done", done.content[0].text
    return str(done.structured_content["result"]["endpoint_id"])


async def test_create_returns_a_plan_and_token_then_the_token_creates_it(server, sandbox) -> None:
    async with connect(server()) as client:
        first = await client.call_tool("create_serverless_endpoint", ARGS)
        assert first.structured_content["status"] == "confirmation_required"
        view = first.structured_content["confirmation"]
        assert (view["cost_usd"], view["recurring"]) == ("0.35", "hour")
        assert "RTX 4090 24GB" in view["target"]
        assert sandbox.state.requests_to(CREATE) == [] and sandbox.domain("serverless").endpoints == {}
        done = await client.call_tool("create_serverless_endpoint", {**ARGS, "confirmation_token": view["token"]})
    endpoint_id = done.structured_content["result"]["endpoint_id"]
    assert list(sandbox.domain("serverless").endpoints) == [endpoint_id]
    assert "$0.35/hour" in done.content[0].text


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_create_through_elicitation_shows_the_hourly_price(server, sandbox, mode) -> None:
    ask = elicitation("accept")
    async with connect(server(), mode=mode, elicit=ask) as client:
        result = await client.call_tool("create_serverless_endpoint", ARGS)
    assert result.structured_content["status"] == "done"
    assert "$0.35 per hour" in ask.questions[0]
    assert len(sandbox.domain("serverless").endpoints) == 1


async def test_a_declined_create_sends_nothing_and_costs_nothing(server, sandbox) -> None:
    balance = sandbox.state.balance_units
    async with connect(server(), elicit=elicitation("decline")) as client:
        result = await client.call_tool("create_serverless_endpoint", ARGS)
    assert result.is_error and "declined" in result.content[0].text
    assert sandbox.state.requests_to(CREATE) == []
    assert sandbox.domain("serverless").endpoints == {} and sandbox.state.balance_units == balance


async def test_the_hourly_quote_equals_what_an_hour_costs(server, sandbox) -> None:
    args = {**ARGS, "min_workers": 2, "max_workers": 2, "gpus_per_worker": 2}
    async with connect(server()) as client:
        quote = Decimal((await client.call_tool("create_serverless_endpoint", args)).structured_content[
            "confirmation"]["cost_usd"])
        endpoint_id = await create(client, args)
    sandbox.advance(3600)
    assert quote == Decimal("1.40")
    assert units(sandbox, endpoint_id) == quote * 10_000


async def test_wait_reports_progress_until_the_workers_serve(server, sandbox) -> None:
    progress: list[str] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async with connect(server()) as client:
        endpoint_id = await create(client)
        sandbox.advance(30)  # workers pull for 60 s; one bounded wait covers the rest
        result = await client.call_tool("wait_for_serverless_endpoint", {"endpoint_id": endpoint_id, "max_wait_seconds": 50},
                                        progress_callback=on_progress)
    assert result.structured_content["ready"] is True
    assert result.structured_content["endpoint"]["workers_running"] == 1
    assert progress[0].startswith("deploying") and progress[-1].startswith("serving")


async def test_a_wait_that_runs_out_says_still_and_to_call_again(server) -> None:
    async with connect(server()) as client:
        endpoint_id = await create(client)
        result = await client.call_tool("wait_for_serverless_endpoint", {"endpoint_id": endpoint_id, "max_wait_seconds": 0})
    assert result.structured_content["ready"] is False
    assert "still deploying" in result.content[0].text and "call wait_for_serverless_endpoint again" in result.content[0].text


async def test_scaling_up_is_quoted_confirmed_and_billed_as_quoted(server, sandbox) -> None:
    async with connect(server()) as client:
        endpoint_id = await create(client)
        sandbox.advance(60)
        first = await client.call_tool("update_serverless_endpoint", {"endpoint_id": endpoint_id, "min_workers": 3,
                                                                      "max_workers": 3})
        view = first.structured_content["confirmation"]
        assert view["action"].endswith("(scale up)") and view["cost_usd"] == "1.05"
        assert sandbox.state.requests_to(UPDATE) == []
        done = await client.call_tool("update_serverless_endpoint", {"endpoint_id": endpoint_id, "min_workers": 3,
                                                                     "max_workers": 3, "confirmation_token": view["token"]})
    assert done.structured_content["result"]["endpoint"]["min_workers"] == 3
    before = units(sandbox, endpoint_id)
    sandbox.advance(3600)
    assert units(sandbox, endpoint_id) - before == Decimal(view["cost_usd"]) * 10_000


async def test_a_declined_update_changes_nothing(server, sandbox) -> None:
    async with connect(server()) as client:
        endpoint_id = await create(client)
    async with connect(server(), elicit=elicitation("decline")) as client:
        result = await client.call_tool("update_serverless_endpoint", {"endpoint_id": endpoint_id, "min_workers": 5,
                                                                       "max_workers": 5})
    assert result.is_error
    assert sandbox.state.requests_to(UPDATE) == []
    assert sandbox.domain("serverless").endpoints[endpoint_id].config["workerConfig"]["minNum"] == 1


async def test_delete_names_the_endpoint_and_only_happens_once_approved(server, sandbox) -> None:
    async with connect(server()) as client:
        endpoint_id = await create(client)
    refusal = elicitation("cancel")
    async with connect(server(), elicit=refusal) as client:
        cancelled = await client.call_tool("delete_serverless_endpoint", {"endpoint_id": endpoint_id})
    assert cancelled.is_error and sandbox.state.requests_to(DELETE) == []
    assert endpoint_id in refusal.questions[0] and "cannot be undone" in refusal.questions[0]
    async with connect(server(), elicit=elicitation("accept")) as client:
        done = await client.call_tool("delete_serverless_endpoint", {"endpoint_id": endpoint_id})
    assert done.structured_content["status"] == "done"
    assert sandbox.domain("serverless").endpoints == {}
    billed = units(sandbox, endpoint_id)
    sandbox.advance(3600)
    assert units(sandbox, endpoint_id) == billed


async def test_an_unknown_product_is_refused_before_anything_is_created(server, sandbox) -> None:
    async with connect(server()) as client:
        result = await client.call_tool("create_serverless_endpoint", {**ARGS, "product_id": "999"})
    assert result.is_error
    assert "'999'" in result.content[0].text and "RTX 4090" in result.content[0].text
    assert sandbox.state.requests_to(CREATE) == []


async def test_lists_and_gets_show_workers_and_scaling(server, sandbox) -> None:
    async with connect(server()) as client:
        endpoint_id = await create(client)
        sandbox.advance(60)
        listed = await client.call_tool("list_serverless_endpoints", {})
        got = await client.call_tool("get_serverless_endpoint", {"endpoint_id": endpoint_id})
    assert listed.structured_content["page"]["total"] == 1
    view = got.structured_content
    assert (view["state"], view["workers_running"], view["scaling"], view["scaling_value"]) == ("serving", 1, "queue", 60)


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
@pytest.mark.parametrize("tool", ["update_serverless_endpoint", "delete_serverless_endpoint"])
async def test_every_guarded_serverless_tool_waits_for_consent(server, sandbox, tool, mode) -> None:
    endpoint_id, _ = await _sandbox_endpoint(sandbox)
    domain = sandbox.domain("serverless")

    def endpoint() -> Any:
        return domain.endpoints.get(endpoint_id)

    cases: dict[str, tuple[dict[str, Any], str, Any, Any]] = {
        "update_serverless_endpoint": (
            {"endpoint_id": endpoint_id, "min_workers": 2, "max_workers": 2}, UPDATE,
            lambda: endpoint().config["workerConfig"]["minNum"] == 1,
            lambda: endpoint().config["workerConfig"]["minNum"] == 2),
        "delete_serverless_endpoint": ({"endpoint_id": endpoint_id}, DELETE, lambda: endpoint() is not None,
                                       lambda: endpoint() is None),
    }
    args, path, unchanged, changed = cases[tool]
    await exercise(server(), sandbox, mode, tool, args, path, unchanged, changed)


@pytest.mark.parametrize(("tool", "args", "fragment"), [
    ("create_serverless_endpoint", {**ARGS, "min_workers": 3, "max_workers": 1}, "max_workers (1)"),
    ("create_serverless_endpoint", {**ARGS, "port": 2223}, "reserved"),
    ("update_serverless_endpoint", {"endpoint_id": "any"}, "Nothing to change"),
])
async def test_inconsistent_arguments_are_refused_before_the_user_is_asked(server, sandbox, tool, args, fragment) -> None:
    ask = elicitation("accept")
    async with connect(server(), elicit=ask) as client:
        result = await client.call_tool(tool, args)
    assert result.is_error and fragment in result.content[0].text
    assert ask.questions == [] and sandbox.state.requests_to("/gpu-instance/openapi/v1/endpoint") == []
