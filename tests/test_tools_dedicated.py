"""The dedicated toolset through MCP against the sandbox: the endpoint story, refusals, quotes vs charges."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from novita_mcp.sandbox.dedicated import STARTUP_SECONDS

from .conftest import connect, elicitation
from .guarded_flow import MODES, exercise

pytestmark = pytest.mark.anyio

PATH = "/v0/dedicated_endpoints"
ARGS = {"name": "gpt", "model_name": "openai/gpt-oss-120b", "gpu_type": "gpu-h100-sxm", "gpu_count": 1,
        "min_replicas": 1, "max_replicas": 2}


@pytest.fixture
def server(make_server):
    """Servers whose waits advance the sandbox clock instead of sleeping."""
    return make_server


def units(sandbox, endpoint_id: str) -> Decimal:
    return sum((c.amount_units for c in sandbox.state.charges if c.owner_id == endpoint_id), Decimal(0))


async def confirmed(client, tool: str, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Call, check that confirmation is asked for, call again with the token: (confirmation, result)."""
    first = await client.call_tool(tool, args)
    assert first.structured_content["status"] == "confirmation_required", first.content[0].text
    view = first.structured_content["confirmation"]
    done = await client.call_tool(tool, {**args, "confirmation_token": view["token"]})
    assert done.structured_content["status"] == "done", done.content[0].text
    return view, done.structured_content["result"]


async def test_the_endpoint_story_create_wait_chat_scale_delete(server, sandbox) -> None:
    progress: list[str] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async with connect(server()) as client:
        templates = await client.call_tool("list_dedicated_templates", {"model": "gpt-oss"})
        assert any(Decimal(t["usd_per_replica_hour"]) == Decimal("2.4") for t in templates.structured_content["templates"])

        first = await client.call_tool("create_dedicated_endpoint", ARGS)
        view = first.structured_content["confirmation"]
        assert (view["cost_usd"], view["recurring"]) == ("2.40", "hour")
        assert sandbox.state.requests_to(PATH, method="POST") == []
        done = await client.call_tool("create_dedicated_endpoint", {**ARGS, "confirmation_token": view["token"]})
        endpoint = done.structured_content["result"]
        assert endpoint["status"] == "starting"

        sandbox.advance(STARTUP_SECONDS - 30)
        waited = await client.call_tool("wait_for_dedicated_endpoint",
                                        {"endpoint_id": endpoint["id"], "max_wait_seconds": 45},
                                        progress_callback=on_progress)
        assert waited.structured_content["ready"] is True
        assert progress[0].startswith("starting") and progress[-1].startswith("ready")

        answer = await client.call_tool("chat", {"prompt": "Say hi", "model": endpoint["routing_key"],
                                                 "dedicated": True, "max_tokens": 50})
        assert not answer.is_error, answer.content[0].text
        assert "Say hi" in answer.structured_content["result"]["content"]

        scale_view, scaled = await confirmed(client, "scale_dedicated_endpoint",
                                             {"endpoint_id": endpoint["id"], "min_replicas": 2})
        assert scale_view["cost_usd"] == "4.80" and scale_view["action"] == "Scale a dedicated endpoint up"
        assert (scaled["min_replicas"], scaled["starting_replicas"]) == (2, 1)

    ask = elicitation("accept")
    async with connect(server(), elicit=ask) as client:
        deleted = await client.call_tool("delete_dedicated_endpoint", {"endpoint_id": endpoint["id"]})
    assert deleted.structured_content["status"] == "done"
    assert endpoint["id"] in ask.questions[0]
    assert "reserved replica" in ask.questions[0] and "cannot be undone" in ask.questions[0]
    assert sandbox.domain("dedicated").endpoints == {}


async def test_chat_before_the_endpoint_is_ready_is_a_readable_error(server, sandbox) -> None:
    async with connect(server()) as client:
        _, endpoint = await confirmed(client, "create_dedicated_endpoint", ARGS)
        answer = await client.call_tool("chat", {"prompt": "hi", "model": endpoint["routing_key"], "dedicated": True,
                                                 "max_tokens": 20})
    assert answer.is_error and "not ready" in answer.content[0].text


async def test_the_hourly_quote_equals_an_hour_of_active_replicas(server, sandbox) -> None:
    args = {**ARGS, "gpu_type": "gpu-h200-sxm", "gpu_count": 2, "flavor": "fast", "min_replicas": 2, "max_replicas": 2}
    async with connect(server()) as client:
        view, endpoint = await confirmed(client, "create_dedicated_endpoint", args)
    sandbox.advance(STARTUP_SECONDS)
    assert units(sandbox, endpoint["id"]) == 0  # start-up is not billed
    sandbox.advance(3600)
    assert view["cost_usd"] == "14.40"
    assert units(sandbox, endpoint["id"]) == Decimal(view["cost_usd"]) * 10_000


async def test_scaling_up_is_billed_as_quoted_once_the_new_replica_is_up(server, sandbox) -> None:
    async with connect(server()) as client:
        _, endpoint = await confirmed(client, "create_dedicated_endpoint", ARGS)
        sandbox.advance(STARTUP_SECONDS)
        view, _ = await confirmed(client, "scale_dedicated_endpoint", {"endpoint_id": endpoint["id"], "min_replicas": 3,
                                                                       "max_replicas": 3})
    sandbox.advance(STARTUP_SECONDS)
    before = units(sandbox, endpoint["id"])
    sandbox.advance(3600)
    assert units(sandbox, endpoint["id"]) - before == Decimal(view["cost_usd"]) * 10_000 == Decimal(72_000)


async def test_declined_scale_and_delete_change_nothing(server, sandbox) -> None:
    async with connect(server()) as client:
        _, endpoint = await confirmed(client, "create_dedicated_endpoint", ARGS)
    async with connect(server(), elicit=elicitation("decline")) as client:
        scale = await client.call_tool("scale_dedicated_endpoint", {"endpoint_id": endpoint["id"], "min_replicas": 4,
                                                                    "max_replicas": 4})
        delete = await client.call_tool("delete_dedicated_endpoint", {"endpoint_id": endpoint["id"]})
    assert scale.is_error and delete.is_error
    assert sandbox.state.requests_to(PATH, method="PATCH") == []
    assert sandbox.state.requests_to(PATH, method="DELETE") == []
    kept = sandbox.domain("dedicated").endpoints[endpoint["id"]]
    assert (kept.min_replicas, len(kept.replicas)) == (1, 1)


async def test_a_combination_no_template_offers_is_refused_before_any_request(server, sandbox) -> None:
    async with connect(server()) as client:
        result = await client.call_tool("create_dedicated_endpoint", {**ARGS, "gpu_type": "gpu-rtx4090"})
    assert result.is_error
    assert "base 1 x gpu-h100-sxm" in result.content[0].text
    assert sandbox.state.requests_to(PATH, method="POST") == []


async def test_a_wait_that_runs_out_says_still_starting(server) -> None:
    async with connect(server()) as client:
        _, endpoint = await confirmed(client, "create_dedicated_endpoint", ARGS)
        result = await client.call_tool("wait_for_dedicated_endpoint", {"endpoint_id": endpoint["id"],
                                                                        "max_wait_seconds": 0})
        listed = await client.call_tool("list_dedicated_endpoints", {})
    assert result.structured_content["ready"] is False
    assert "still starting" in result.content[0].text
    assert Decimal(listed.structured_content["endpoints"][0]["hourly_usd"]) == Decimal("2.4")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tool", ["create_dedicated_endpoint", "scale_dedicated_endpoint", "delete_dedicated_endpoint"])
async def test_every_guarded_dedicated_tool_waits_for_consent(server, sandbox, tool, mode) -> None:
    domain = sandbox.domain("dedicated")
    existing = None
    if tool != "create_dedicated_endpoint":
        async with connect(server(confirm_mode="none")) as client:
            existing = (await client.call_tool("create_dedicated_endpoint", ARGS)).structured_content["result"]["id"]
    cases: dict[str, tuple[dict[str, Any], str, Any, Any]] = {
        "create_dedicated_endpoint": ({**ARGS, "name": "new"}, PATH, lambda: domain.endpoints == {},
                                      lambda: len(domain.endpoints) == 1),
        "scale_dedicated_endpoint": ({"endpoint_id": existing, "min_replicas": 2}, f"{PATH}/{existing}",
                                     lambda: domain.endpoints[existing].min_replicas == 1,
                                     lambda: domain.endpoints[existing].min_replicas == 2),
        "delete_dedicated_endpoint": ({"endpoint_id": existing}, f"{PATH}/{existing}",
                                      lambda: existing in domain.endpoints, lambda: domain.endpoints == {}),
    }
    args, path, unchanged, changed = cases[tool]
    await exercise(server(), sandbox, mode, tool, args, path, unchanged, changed)


@pytest.mark.parametrize(("tool", "args", "fragment"), [
    ("create_dedicated_endpoint", {**ARGS, "min_replicas": 3, "max_replicas": 1}, "max_replicas (1)"),
    ("scale_dedicated_endpoint", {"endpoint_id": "de-x"}, "Nothing to change"),
])
async def test_inconsistent_arguments_are_refused_before_the_user_is_asked(server, sandbox, tool, args, fragment) -> None:
    ask = elicitation("accept")
    async with connect(server(), elicit=ask) as client:
        result = await client.call_tool(tool, args)
    assert result.is_error and fragment in result.content[0].text
    assert ask.questions == [] and sandbox.state.requests_to(PATH) == []
