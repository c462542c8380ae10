"""The guardrails end to end: through MCP, against the sandbox, for every path.

The billable and destructive tools here are the product's own (create_instance,
delete_instance, generate_image). Every refusal is proven by the sandbox's request log:
no creating, billing or destroying request reached it.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest

from novita_mcp.server import build_server

from .conftest import connect, elicitation

pytestmark = pytest.mark.anyio

CREATE = "/gpu-instance/openapi/v1/gpu/instance/create"
DELETE = "/gpu-instance/openapi/v1/gpu/instance/delete"
FLUX = "/v3beta/flux-1-schnell"
INSTANCE = {"name": "guard-test", "product_id": "1", "image_url": "pytorch/pytorch:latest"}
CHEAP_IMAGE = {"prompt": "a red fox", "model": "flux-1-schnell", "width": 512, "height": 512}


def creates(sandbox) -> int:
    return len(sandbox.state.requests_to(CREATE, "POST"))


def text(result) -> str:
    return result.content[0].text


# --- ALLOW ----------------------------------------------------------------------------------

async def test_a_cheap_one_off_generation_runs_without_asking(make_server, sandbox) -> None:
    ask = elicitation("accept")
    async with connect(make_server(), elicit=ask) as client:
        result = await client.call_tool("generate_image", CHEAP_IMAGE)
    assert not result.is_error, text(result)
    assert result.structured_content["status"] == "done"
    assert ask.questions == []
    assert len(sandbox.state.requests_to(FLUX, "POST")) == 1


# --- CONFIRM by elicitation -----------------------------------------------------------------

@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_approving_the_elicited_plan_creates_the_instance(make_server, sandbox, mode) -> None:
    ask = elicitation("accept")
    async with connect(make_server(), mode=mode, elicit=ask) as client:
        result = await client.call_tool("create_instance", INSTANCE)
    assert not result.is_error, text(result)
    assert result.structured_content["status"] == "done"
    (question,) = ask.questions
    assert "$0.35" in question and "per hour" in question and "guard-test" in question
    assert creates(sandbox) == 1


@pytest.mark.parametrize("mode", ["legacy", "auto"])
@pytest.mark.parametrize("action", ["decline", "cancel"])
async def test_declining_or_cancelling_creates_nothing_and_says_so(make_server, sandbox, mode, action) -> None:
    async with connect(make_server(), mode=mode, elicit=elicitation(action)) as client:
        result = await client.call_tool("create_instance", INSTANCE)
    assert result.is_error
    assert "Nothing was done" in text(result) and ("declined" in text(result) or "cancelled" in text(result))
    assert creates(sandbox) == 0


async def test_an_unticked_approve_box_counts_as_a_decline(make_server, sandbox) -> None:
    async with connect(make_server(), elicit=elicitation("accept", approve=False)) as client:
        result = await client.call_tool("create_instance", INSTANCE)
    assert result.is_error and creates(sandbox) == 0


async def test_a_destructive_call_names_its_exact_target_and_waits_for_approval(make_server, sandbox) -> None:
    async with connect(make_server(), elicit=elicitation("accept")) as client:
        created = await client.call_tool("create_instance", INSTANCE)
        instance_id = created.structured_content["result"]["instance_id"]
    ask = elicitation("decline")
    async with connect(make_server(), elicit=ask) as client:
        refused = await client.call_tool("delete_instance", {"instance_id": instance_id})
        listed = await client.call_tool("get_instance", {"instance_id": instance_id})
    assert refused.is_error and sandbox.state.requests_to(DELETE, "POST") == []
    assert instance_id in ask.questions[0] and "guard-test" in ask.questions[0]
    assert not listed.is_error


# --- CONFIRM by token -----------------------------------------------------------------------

async def _token_for(client, tool: str, args: dict) -> str:
    result = await client.call_tool(tool, args)
    assert not result.is_error, text(result)
    assert result.structured_content["status"] == "confirmation_required"
    return result.structured_content["confirmation"]["token"]


async def test_without_elicitation_the_plan_comes_back_with_a_token_and_nothing_happens(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("create_instance", INSTANCE)
    body = result.structured_content
    assert not result.is_error and body["status"] == "confirmation_required" and body["result"] is None
    view = body["confirmation"]
    assert Decimal(view["cost_usd"]) == Decimal("0.35") and view["recurring"] == "hour"
    assert "guard-test" in view["target"] and view["token"] in text(result)
    assert creates(sandbox) == 0


async def test_the_token_confirms_exactly_one_identical_call(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        token = await _token_for(client, "create_instance", INSTANCE)
        done = await client.call_tool("create_instance", {**INSTANCE, "confirmation_token": token})
        replay = await client.call_tool("create_instance", {**INSTANCE, "confirmation_token": token})
    assert not done.is_error and done.structured_content["status"] == "done"
    assert replay.is_error and "already used" in text(replay)
    assert creates(sandbox) == 1


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"), "signature"),
        (lambda t: "garbage", "malformed"),
    ],
)
async def test_a_tampered_or_forged_token_is_refused(make_server, sandbox, change, needle) -> None:
    async with connect(make_server()) as client:
        token = await _token_for(client, "create_instance", INSTANCE)
        result = await client.call_tool("create_instance", {**INSTANCE, "confirmation_token": change(token)})
    assert result.is_error and needle in text(result) and "Nothing was done" in text(result)
    assert creates(sandbox) == 0


async def test_a_token_for_other_arguments_or_another_tool_is_refused(make_server, sandbox) -> None:
    async with connect(make_server(), elicit=elicitation("accept")) as client:
        created = await client.call_tool("create_instance", INSTANCE)
    instance_id = created.structured_content["result"]["instance_id"]
    async with connect(make_server()) as client:
        token = await _token_for(client, "create_instance", INSTANCE)
        other_args = await client.call_tool("create_instance", {**INSTANCE, "gpus": 2, "confirmation_token": token})
        other_tool = await client.call_tool("delete_instance", {"instance_id": instance_id, "confirmation_token": token})
    assert other_args.is_error and "arguments differ" in text(other_args)
    assert other_tool.is_error and "issued for create_instance" in text(other_tool)
    assert creates(sandbox) == 1 and sandbox.state.requests_to(DELETE, "POST") == []


async def test_an_expired_token_is_refused(make_server, sandbox) -> None:
    async with connect(make_server(token_ttl_seconds=60)) as client:
        token = await _token_for(client, "create_instance", INSTANCE)
        sandbox.advance(61)
        result = await client.call_tool("create_instance", {**INSTANCE, "confirmation_token": token})
    assert result.is_error and "expired" in text(result)
    assert creates(sandbox) == 0


async def test_a_price_rise_after_confirmation_is_refused(make_server, sandbox) -> None:
    catalog = sandbox.domain("gpu_catalog")
    async with connect(make_server()) as client:
        token = await _token_for(client, "create_instance", INSTANCE)
        catalog.gpu_products["1"] = dataclasses.replace(catalog.gpu_products["1"], price=50_000)
        result = await client.call_tool("create_instance", {**INSTANCE, "confirmation_token": token})
    assert result.is_error and "price went up from $0.35 to $0.50" in text(result)
    assert creates(sandbox) == 0


async def test_tokens_verify_on_another_server_process_sharing_the_secret(make_server, sandbox) -> None:
    async with connect(make_server()) as first:
        token = await _token_for(first, "create_instance", INSTANCE)
    async with connect(make_server()) as second:  # a new server object, same secret and ledger
        done = await second.call_tool("create_instance", {**INSTANCE, "confirmation_token": token})
    assert not done.is_error and creates(sandbox) == 1


async def test_a_token_from_a_server_with_another_secret_is_refused(make_server, sandbox) -> None:
    async with connect(make_server(token_secret="other-secret")) as foreign:
        token = await _token_for(foreign, "create_instance", INSTANCE)
    async with connect(make_server()) as client:
        result = await client.call_tool("create_instance", {**INSTANCE, "confirmation_token": token})
    assert result.is_error and "signature" in text(result) and creates(sandbox) == 0


# --- strict and disabled modes ----------------------------------------------------------------

async def test_strict_mode_fails_closed_on_a_client_that_cannot_elicit(make_server, sandbox) -> None:
    async with connect(make_server(confirm_mode="elicit")) as client:
        result = await client.call_tool("create_instance", INSTANCE)
    assert result.is_error and "cannot show a confirmation form" in text(result)
    assert creates(sandbox) == 0


async def test_token_mode_does_not_elicit_even_when_the_client_could(make_server, sandbox) -> None:
    ask = elicitation("accept")
    async with connect(make_server(confirm_mode="token"), elicit=ask) as client:
        result = await client.call_tool("create_instance", INSTANCE)
    assert result.structured_content["status"] == "confirmation_required" and ask.questions == []


async def test_mode_none_runs_without_asking_but_hard_limits_still_apply(make_server, sandbox) -> None:
    async with connect(make_server(confirm_mode="none", max_gpus=1)) as client:
        ran = await client.call_tool("create_instance", INSTANCE)
        capped = await client.call_tool("create_instance", {**INSTANCE, "gpus": 2})
    assert not ran.is_error and ran.structured_content["status"] == "done"
    assert capped.is_error and "NOVITA_MCP_MAX_GPUS" in text(capped)
    assert creates(sandbox) == 1


# --- DENY: caps, budgets, balance, lists, read-only -------------------------------------------

@pytest.mark.parametrize(
    ("settings", "args", "needle"),
    [
        ({"max_gpus": 2}, {**INSTANCE, "gpus": 4}, "4 GPUs exceed the limit of 2"),
        ({"max_call_usd": Decimal("0.30")}, INSTANCE, "per-call cap"),
        ({"session_budget_usd": Decimal("0.20")}, INSTANCE, "session budget"),
        ({"daily_budget_usd": Decimal("0.20")}, INSTANCE, "today's budget"),
        ({"deny_tools": ["create_instance"]}, INSTANCE, "NOVITA_MCP_DENY_TOOLS"),
        ({"allow_tools": ["get_balance"]}, INSTANCE, "NOVITA_MCP_ALLOW_TOOLS"),
    ],
)
async def test_hard_limits_refuse_before_anything_is_sent(make_server, sandbox, settings, args, needle) -> None:
    ask = elicitation("accept")
    async with connect(make_server(**settings), elicit=ask) as client:
        result = await client.call_tool("create_instance", args)
    assert result.is_error and needle in text(result) and "Nothing was done" in text(result)
    assert ask.questions == [] and creates(sandbox) == 0


async def test_a_balance_below_the_quote_is_refused_with_what_is_missing(make_server, sandbox) -> None:
    sandbox.state.balance_units = Decimal(1000)  # $0.10
    async with connect(make_server(), elicit=elicitation("accept")) as client:
        result = await client.call_tool("create_instance", INSTANCE)
    assert result.is_error and "$0.25 is missing" in text(result)
    assert creates(sandbox) == 0


async def test_session_budget_counts_what_this_session_already_spent(make_server, sandbox) -> None:
    async with connect(make_server(session_budget_usd=Decimal("0.002")), elicit=elicitation("accept")) as client:
        first = await client.call_tool("generate_image", CHEAP_IMAGE)
        second = await client.call_tool("generate_image", CHEAP_IMAGE)
        third = await client.call_tool("generate_image", CHEAP_IMAGE)
    assert not first.is_error and not second.is_error
    assert third.is_error and "session budget" in text(third)
    assert len(sandbox.state.requests_to(FLUX, "POST")) == 2


async def test_the_daily_budget_survives_a_restart(make_server, sandbox) -> None:
    from novita_mcp.guard.ledger import day_bounds

    # The instance's $0.35/h counts until the end of the UTC day: room for one such instance, not two.
    hours_left = Decimal(str(day_bounds(sandbox.clock.now())[1] - sandbox.clock.now())) / 3600
    budget = (Decimal("0.35") * hours_left * Decimal("1.5")).quantize(Decimal("0.01"))
    async with connect(make_server(daily_budget_usd=budget), elicit=elicitation("accept")) as client:
        first = await client.call_tool("create_instance", INSTANCE)
    assert not first.is_error, text(first)
    async with connect(make_server(daily_budget_usd=budget), elicit=elicitation("accept")) as client:
        second = await client.call_tool("create_instance", {**INSTANCE, "name": "second"})
    assert second.is_error and "today's budget" in text(second) and "until the end of the UTC day" in text(second)
    assert creates(sandbox) == 1


async def test_read_only_mode_lists_no_tool_that_spends_or_destroys(make_server) -> None:
    async with connect(make_server(read_only=True)) as client:
        tools = (await client.list_tools()).tools
        result = await client.call_tool("create_instance", INSTANCE)
    assert tools and all(t.annotations.read_only_hint for t in tools)
    assert {"get_balance", "list_instances"} <= {t.name for t in tools}
    assert result.is_error


# --- the record --------------------------------------------------------------------------------

async def test_every_decision_and_outcome_is_audited_with_secrets_redacted(make_server, sandbox, state_dir) -> None:
    async with connect(make_server(), elicit=elicitation("accept")) as client:
        await client.call_tool("create_instance", {**INSTANCE, "env": {"HF_TOKEN": "hf_secret_value"}})
    async with connect(make_server(max_gpus=1)) as client:
        await client.call_tool("create_instance", {**INSTANCE, "gpus": 2})
    records = [json.loads(line) for line in (state_dir / "audit.jsonl").read_text().splitlines()]
    events = [(r["event"], r.get("decision") or r.get("status")) for r in records]
    assert ("decision", "confirm") in events and ("confirmation", "approved") in events
    assert ("outcome", "done") in events and ("decision", "deny") in events
    done = next(r for r in records if r["event"] == "outcome")
    assert done["resource_id"] and done["quote"]["recurring"] == "hour"
    assert "hf_secret_value" not in (state_dir / "audit.jsonl").read_text()


async def test_the_ledger_records_quotes_and_actual_charges(make_server, sandbox, state_dir) -> None:
    from novita_mcp.guard import SQLiteLedger

    async with connect(make_server(), elicit=elicitation("accept")) as client:
        await client.call_tool("generate_image", CHEAP_IMAGE)
    ledger = SQLiteLedger(state_dir / "ledger.sqlite3")
    (entry,) = ledger.entries()
    spent = ledger.totals(entry.session, at=sandbox.clock.now()).day_usd
    assert entry.state == "settled"
    charged = sum(c.amount_units for c in sandbox.state.charges if c.category == "gen_api"
                  and c.at == sandbox.clock.now()) / 10_000
    assert spent == Decimal("0.00075") == charged


async def test_a_server_built_without_the_sandbox_clock_still_guards(sandbox, make_settings) -> None:
    server = build_server(make_settings(), sandbox.transport())
    async with connect(server) as client:
        result = await client.call_tool("create_instance", INSTANCE)
    assert result.structured_content["status"] == "confirmation_required"


async def test_a_failing_balance_check_refuses_readably_and_sends_nothing(make_server, sandbox) -> None:
    from novita_mcp.sandbox import FaultRule

    sandbox.faults.add(FaultRule("unavailable", path="/openapi/v1/billing/balance", times=None))
    async with connect(make_server(), elicit=elicitation("accept")) as client:
        result = await client.call_tool("create_instance", INSTANCE)
    assert result.is_error
    assert "SERVICE_UNAVAILABLE" in text(result) and "Nothing was done" in text(result)
    assert creates(sandbox) == 0


async def test_a_call_refused_while_it_is_planned_is_audited(make_server, sandbox, state_dir) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("delete_instance", {"instance_id": "nope"})
    assert result.is_error and "Nothing was done" in text(result)
    records = [json.loads(line) for line in (state_dir / "audit.jsonl").read_text().splitlines()]
    (refused,) = [r for r in records if r["event"] == "refused"]
    assert refused["tool"] == "delete_instance" and refused["stage"] == "planning"
    assert "RESOURCE_NOT_FOUND" in refused["reason"] and refused["arguments"] == {"instance_id": "nope"}
