"""The batch toolset through MCP: create (billable, quoted), follow, read results, cancel (destructive)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from novita_mcp.sandbox.state import UNITS_PER_USD
from novita_mcp.server import select_toolsets
from novita_mcp.tools.llm_batch import MAX_BATCH_BYTES

from .conftest import connect, elicitation

pytestmark = pytest.mark.anyio

LLAMA = "meta-llama/llama-3.3-70b-instruct"


def lines(n: int, *, max_tokens: int = 20, words: int = 0, model: str = LLAMA) -> str:
    ask = f"write {words} words" if words else "hello"
    return "\n".join(json.dumps({"custom_id": f"q{i}", "body": {
        "model": model, "messages": [{"role": "user", "content": f"{ask} {i}"}], "max_tokens": max_tokens}})
        for i in range(n))


def batch_charges(sandbox, batch_id: str) -> list:
    return [c for c in sandbox.state.charges if c.owner_id == batch_id]


async def test_the_batch_toolset_is_off_by_default() -> None:
    assert "batch" not in [t.id for t in select_toolsets(None)]


async def test_a_cheap_batch_runs_and_its_charges_stay_within_the_quote(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        created = await client.call_tool("create_batch", {"jsonl": lines(3, max_tokens=60)})
        result = created.structured_content["result"]
        batch_id = result["batch"]["id"]
        assert result["batch"]["status"] == "VALIDATING" and result["batch"]["total"] == 3
        sandbox.advance(120)
        status = await client.call_tool("get_batch", {"batch_id": batch_id})
        answers = await client.call_tool("get_batch_results", {"batch_id": batch_id, "limit": 2})
    assert status.structured_content["status"] == "COMPLETED" and status.structured_content["completed"] == 3
    rows = answers.structured_content["results"]
    assert [r["custom_id"] for r in rows] == ["q0", "q1"] and answers.structured_content["page"]["next_offset"] == 2
    assert rows[0]["content"] == f'Sandbox reply from {LLAMA}: you said "hello 0".' and rows[0]["ok"]
    spent = sum(c.amount_units for c in batch_charges(sandbox, batch_id)) / UNITS_PER_USD
    assert 0 < spent <= Decimal(result["quoted_usd"])


async def test_when_every_request_uses_its_max_tokens_the_quote_is_the_charge(make_server, sandbox) -> None:
    args = {"jsonl": lines(4, max_tokens=30, words=200)}
    async with connect(make_server(auto_approve_usd=0)) as client:
        asked = await client.call_tool("create_batch", args)
        view = asked.structured_content["confirmation"]
        assert sandbox.state.requests_to("/openai/v1/files") == []
        done = await client.call_tool("create_batch", {**args, "confirmation_token": view["token"]})
    batch_id = done.structured_content["result"]["batch"]["id"]
    sandbox.advance(120)
    charges = batch_charges(sandbox, batch_id)
    assert len(charges) == 4 and all(c.bill_num1 == 30 for c in charges)
    assert sum(c.amount_units for c in charges) / UNITS_PER_USD == Decimal(view["cost_usd"])


async def test_a_batch_from_a_local_file_and_one_from_an_uploaded_file_id(make_server, sandbox, tmp_path) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text(lines(2))
    async with connect(make_server()) as client:
        first = await client.call_tool("create_batch", {"path": str(path)})
        file_id = first.structured_content["result"]["input_file_id"]
        second = await client.call_tool("create_batch", {"input_file_id": file_id})
    assert second.structured_content["result"]["batch"]["total"] == 2
    assert len(sandbox.state.requests_to("/openai/v1/files", method="POST")) == 1


async def test_bad_inputs_are_refused_before_anything_is_uploaded(make_server, sandbox, tmp_path) -> None:
    big = tmp_path / "big.jsonl"
    big.write_bytes(b" " * (MAX_BATCH_BYTES + 1))
    async with connect(make_server()) as client:
        unknown = await client.call_tool("create_batch", {"jsonl": lines(1, model="meta-llama/llama-3.3-70b")})
        broken = await client.call_tool("create_batch", {"jsonl": "{not json"})
        missing = await client.call_tool("create_batch", {"path": str(tmp_path / "none.jsonl")})
        too_big = await client.call_tool("create_batch", {"path": str(big)})
        two = await client.call_tool("create_batch", {"jsonl": lines(1), "path": str(big)})
    assert unknown.is_error and "line 1" in unknown.content[0].text and LLAMA in unknown.content[0].text
    assert broken.is_error and "Line 1" in broken.content[0].text
    assert missing.is_error and too_big.is_error and "at most" in too_big.content[0].text
    assert two.is_error and "exactly one" in two.content[0].text
    assert sandbox.state.requests_to("/openai/v1/files") == []


async def test_get_batch_can_wait_and_says_when_it_is_still_running(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        created = await client.call_tool("create_batch", {"jsonl": lines(2)})
        batch_id = created.structured_content["result"]["batch"]["id"]
        early = await client.call_tool("get_batch", {"batch_id": batch_id})
        early_results = await client.call_tool("get_batch_results", {"batch_id": batch_id})
    assert "still running" in early.content[0].text
    assert early_results.is_error and "not finished" in early_results.content[0].text


async def test_list_batches_pages_newest_first(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        ids = []
        for _ in range(3):
            created = await client.call_tool("create_batch", {"jsonl": lines(1)})
            ids.append(created.structured_content["result"]["batch"]["id"])
            sandbox.advance(1)
        first = await client.call_tool("list_batches", {"limit": 2})
        rest = await client.call_tool("list_batches", {"limit": 2, "after": first.structured_content["next_after"]})
    assert [b["id"] for b in first.structured_content["batches"]] == ids[::-1][:2]
    assert [b["id"] for b in rest.structured_content["batches"]] == [ids[0]]


async def _running_batch(client, sandbox) -> str:
    created = await client.call_tool("create_batch", {"jsonl": lines(20)})
    sandbox.advance(14)
    return created.structured_content["result"]["batch"]["id"]


async def test_cancel_needs_a_token_then_keeps_the_finished_answers(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        batch_id = await _running_batch(client, sandbox)
        asked = await client.call_tool("cancel_batch", {"batch_id": batch_id})
        view = asked.structured_content["confirmation"]
        assert asked.structured_content["status"] == "confirmation_required"
        assert "not yet run are dropped" in view["irreversible"] and view["target"] == batch_id
        assert sandbox.state.requests_to(f"/openai/v1/batches/{batch_id}/cancel") == []
        done = await client.call_tool("cancel_batch", {"batch_id": batch_id, "confirmation_token": view["token"]})
        sandbox.advance(10)
        after = await client.call_tool("get_batch", {"batch_id": batch_id})
        results = await client.call_tool("get_batch_results", {"batch_id": batch_id})
    assert done.structured_content["result"]["status"] == "CANCELLING"
    assert after.structured_content["status"] == "CANCELLED"
    assert results.structured_content["page"]["total"] == 2


async def test_cancel_runs_when_the_user_accepts_the_form(make_server, sandbox) -> None:
    async with connect(make_server(), elicit=elicitation("accept")) as client:
        batch_id = await _running_batch(client, sandbox)
        done = await client.call_tool("cancel_batch", {"batch_id": batch_id})
    assert done.structured_content["result"]["status"] == "CANCELLING"


async def test_a_declined_cancel_leaves_the_batch_running(make_server, sandbox) -> None:
    async with connect(make_server(), elicit=elicitation("decline")) as client:
        batch_id = await _running_batch(client, sandbox)
        refused = await client.call_tool("cancel_batch", {"batch_id": batch_id})
        status = await client.call_tool("get_batch", {"batch_id": batch_id})
    assert refused.is_error and "declined" in refused.content[0].text
    assert sandbox.state.requests_to(f"/openai/v1/batches/{batch_id}/cancel") == []
    assert status.structured_content["status"] == "PROGRESS"


async def test_a_finished_batch_has_nothing_to_cancel(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        created = await client.call_tool("create_batch", {"jsonl": lines(1)})
        batch_id = created.structured_content["result"]["batch"]["id"]
        sandbox.advance(60)
        result = await client.call_tool("cancel_batch", {"batch_id": batch_id})
    assert result.is_error and "nothing to cancel" in result.content[0].text
