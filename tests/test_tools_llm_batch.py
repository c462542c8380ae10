"""The batch toolset through MCP: create (billable, quoted), follow, read results, cancel (destructive)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from mcp.server.mcpserver.exceptions import ToolError

from novita_mcp.client.llm import LLMModel
from novita_mcp.client.llm_tokens import count_tokens
from novita_mcp.sandbox.state import UNITS_PER_USD
from novita_mcp.server import select_toolsets
from novita_mcp.tools.batch.batches import MAX_BATCH_BYTES
from novita_mcp.tools.batch.lines import parse_lines, price_lines

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
    assert unknown.is_error and "Line 1" in unknown.content[0].text and LLAMA in unknown.content[0].text
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


# --- the input is checked and priced as Novita would run it (issue 11, point 4) -------------

def model_entry(**overrides) -> LLMModel:
    values = {"id": LLAMA, "context_size": 131072, "max_output_tokens": 16384, "input_token_price_per_m": 3900,
              "output_token_price_per_m": 3900, "model_type": "chat"}
    values.update(overrides)
    return LLMModel.model_validate(values)


def jsonl(*bodies: dict, kind: str = "chat") -> bytes:
    out = []
    for i, body in enumerate(bodies):
        if kind == "chat":
            body = {"model": LLAMA, "messages": [{"role": "user", "content": "hi"}], **body}
        else:
            body = {"model": LLAMA, "prompt": "hi", **body}
        out.append(json.dumps({"custom_id": f"r{i}", "body": body}))
    return "\n".join(out).encode()


def refusal(data: bytes, kind: str = "chat", model: LLMModel | None = None) -> str:
    with pytest.raises(ToolError) as caught:
        price_lines(parse_lines(data, kind), kind, model or model_entry())
    return str(caught.value)


@pytest.mark.parametrize(("field", "value"), [
    ("n", -1), ("n", 0), ("n", 129), ("n", "3"), ("n", 2.5), ("n", True),
    ("max_tokens", -500), ("max_tokens", 0), ("max_tokens", "100"), ("max_tokens", 10.0),
    ("max_completion_tokens", -1), ("best_of", 0), ("temperature", 3), ("top_p", 0),
])
def test_a_count_or_limit_the_api_refuses_is_refused_with_its_line_number(field, value) -> None:
    text = refusal(jsonl({"max_tokens": 10}, {"max_tokens": 10, field: value}))
    assert text.startswith("Line 2 (custom_id 'r1'):") and field in text and "Nothing was sent" in text


def test_best_of_below_n_is_refused_and_best_of_answers_are_all_priced() -> None:
    assert "best_of" in refusal(jsonl({"n": 3, "best_of": 2}, kind="completions"), "completions")
    lines = parse_lines(jsonl({"max_tokens": 10, "n": 2, "best_of": 5}, kind="completions"), "completions")
    assert price_lines(lines, "completions", model_entry()).output_tokens == 10 * 5


def test_a_prompt_list_is_priced_once_per_prompt_and_per_answer() -> None:
    prompts = [f"question {i}" for i in range(40)]
    lines = parse_lines(jsonl({"prompt": prompts, "max_tokens": 100, "n": 2}, kind="completions"), "completions")
    quote = price_lines(lines, "completions", model_entry())
    assert quote.output_tokens == 40 * 2 * 100
    assert quote.prompt_tokens == sum(count_tokens(p) for p in prompts)
    single = price_lines(parse_lines(jsonl({"prompt": prompts[0], "max_tokens": 100, "n": 2}, kind="completions"),
                                     "completions"), "completions", model_entry())
    assert quote.usd > 39 * single.usd


def test_token_id_prompts_count_at_least_one_token_per_id_and_nested_lists_are_refused() -> None:
    lines = parse_lines(jsonl({"prompt": list(range(1000, 1050)), "max_tokens": 5}, kind="completions"),
                        "completions")
    assert price_lines(lines, "completions", model_entry()).prompt_tokens >= 50
    assert "prompt must be" in refusal(jsonl({"prompt": [[1, 2], [3]]}, kind="completions"), "completions")
    assert "prompt must be" in refusal(jsonl({"prompt": []}, kind="completions"), "completions")


def test_n_multiplies_a_chat_line_and_max_completion_tokens_counts_as_its_limit() -> None:
    quote = price_lines(parse_lines(jsonl({"n": 4, "max_completion_tokens": 50}), "chat"), "chat", model_entry())
    assert quote.output_tokens == 4 * 50 and quote.without_max_tokens == 0


def test_a_line_without_max_tokens_is_priced_at_the_most_one_answer_can_be() -> None:
    quote = price_lines(parse_lines(jsonl({}, {"n": 2}), "chat"), "chat", model_entry())
    assert quote.output_tokens == 16384 * 3 and quote.without_max_tokens == 2
    # A catalogue entry without an output limit falls back to the context, never to 0.
    no_limit = price_lines(parse_lines(jsonl({}), "chat"), "chat", model_entry(max_output_tokens=0))
    assert no_limit.output_tokens == 131072
    assert "set max_tokens" in refusal(jsonl({}), model=model_entry(max_output_tokens=0, context_size=0))


def test_limits_of_the_model_are_enforced_per_line() -> None:
    assert "above" in refusal(jsonl({"max_tokens": 10}, {"max_tokens": 16385}))
    assert "context" in refusal(jsonl({"max_tokens": 100}), model=model_entry(context_size=102))
    assert "Line 1" in refusal(jsonl({"max_tokens": 100}), model=model_entry(context_size=102))


@pytest.mark.parametrize(("line", "why"), [
    ({"custom_id": "a", "method": "GET", "body": {"model": LLAMA, "messages": [{"role": "user", "content": "x"}]}},
     "method must be POST"),
    ({"custom_id": "a", "url": "/v1/completions", "body": {"model": LLAMA, "messages": [{"role": "user",
                                                                                           "content": "x"}]}},
     "this batch runs /v1/chat/completions"),
    ({"custom_id": 7, "body": {"model": LLAMA, "messages": [{"role": "user", "content": "x"}]}}, "custom_id"),
    ({"custom_id": "a", "body": {"messages": [{"role": "user", "content": "x"}]}}, "body.model is required"),
    ({"custom_id": "a", "body": {"model": LLAMA, "messages": []}}, "messages must be a non-empty array"),
    ({"custom_id": "a", "body": {"model": LLAMA, "messages": [{"role": "boss", "content": "x"}]}}, "role"),
    ({"custom_id": "a", "body": {"model": LLAMA, "messages": [{"role": "user", "content": {"a": 1}}]}}, "content"),
    ({"custom_id": "a", "body": {"model": LLAMA, "messages": [{"role": "user", "tool_calls": 5}]}}, "tool_calls"),
    (["not", "an", "object"], "JSON object"),
])
def test_a_line_shaped_unlike_the_api_is_refused(line, why) -> None:
    data = (json.dumps({"custom_id": "ok", "body": {"model": LLAMA, "messages": [{"role": "user", "content": "x"}]}})
            + "\n\n" + json.dumps(line)).encode()
    text = refusal(data)
    assert text.startswith("Line 3") and why in text  # the blank line 2 still counts


def test_custom_ids_must_be_unique_and_the_input_must_be_utf8() -> None:
    data = jsonl({}, {}).replace(b'"r1"', b'"r0"')
    assert "already used on line 1" in refusal(data)
    assert "UTF-8" in refusal(b'{"custom_id": "a", "body": {"model": "\xff"}}')


def test_lines_are_uploaded_as_api_lines_with_method_and_url_filled_in() -> None:
    (line,) = parse_lines(jsonl({"max_tokens": 5}), "chat")
    assert json.loads(json.dumps(line)) == {"custom_id": "r0", "method": "POST", "url": "/v1/chat/completions",
                                            "body": {"model": LLAMA, "messages": [{"role": "user", "content": "hi"}],
                                                     "max_tokens": 5}}


async def test_a_batch_mixing_models_or_calling_a_model_off_its_endpoint_is_refused(make_server, sandbox) -> None:
    mixed = lines(1) + "\n" + lines(1, model="meta-llama/llama-3.1-8b-instruct").replace('"q0"', '"q1"')
    embed_line = json.dumps({"custom_id": "e", "body": {"model": "baai/bge-m3", "prompt": "x"}})
    async with connect(make_server()) as client:
        two = await client.call_tool("create_batch", {"jsonl": mixed})
        embedder = await client.call_tool("create_batch", {"jsonl": embed_line, "endpoint": "completions"})
    assert two.is_error and "Line 2" in two.content[0].text and "one model per batch" in two.content[0].text
    assert embedder.is_error and "Line 1" in embedder.content[0].text and "embedding model" in embedder.content[0].text
    assert sandbox.state.requests_to("/openai/v1/files") == [] and sandbox.state.requests_to("/openai/v1/batches") == []


async def test_an_uploaded_file_is_checked_like_inline_lines_before_a_batch_is_created(make_server, sandbox) -> None:
    hostile = "\n".join(json.dumps({"custom_id": f"h{i}", "url": "/v1/chat/completions", "body": {
        "model": LLAMA, "messages": [{"role": "user", "content": "x"}], "max_tokens": 10, "n": -1 if i else 1}})
        for i in range(2))
    async with connect(make_server()) as client:
        uploaded = await client.call_tool("create_batch", {"jsonl": lines(1)})
        file_id = uploaded.structured_content["result"]["input_file_id"]
    sandbox.state.domains["llm_batch"].files[file_id].content = hostile.encode()  # as if uploaded by another client
    async with connect(make_server()) as client:
        refused = await client.call_tool("create_batch", {"input_file_id": file_id})
    assert refused.is_error and "Line 2 (custom_id 'h1'): n must be" in refused.content[0].text
    assert len(sandbox.state.requests_to("/openai/v1/batches", "POST")) == 1
