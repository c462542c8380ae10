"""Quotes that cannot be gamed (issue 11, point 4), through MCP against the sandbox served over
HTTP with latency, judged by what reached the sandbox and what it charged."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from novita_mcp.sandbox.state import UNITS_PER_USD

from .conftest import connect
from .served import http_server, serve_over_http

pytestmark = pytest.mark.anyio

LLAMA = "meta-llama/llama-3.3-70b-instruct"
R1 = "deepseek/deepseek-r1-0528"  # $0.70/M in, $2.50/M out
FILES, BATCHES = "/openai/v1/files", "/openai/v1/batches"


def chat_line(custom_id: str, **body) -> dict:
    return {"custom_id": custom_id, "body": {"model": LLAMA, "messages": [{"role": "user", "content": "hi"}],
                                            "max_tokens": 20, **body}}


def as_jsonl(*rows: object) -> str:
    return "\n".join(json.dumps(r) for r in rows)


def billable_requests(sandbox) -> list:
    """Uploads and batch creations: what would lead to charges."""
    return [r for r in sandbox.state.requests if r.method == "POST" and r.path.startswith((FILES, BATCHES))]


HOSTILE = {
    "negative n": (as_jsonl(chat_line("a"), chat_line("b", n=-1)), "Line 2"),
    "negative max_tokens": (as_jsonl(chat_line("a", max_tokens=-100000)), "Line 1"),
    "zero max_tokens": (as_jsonl(chat_line("a"), chat_line("b"), chat_line("c", max_tokens=0)), "Line 3"),
    "n as text": (as_jsonl(chat_line("a", n="40")), "Line 1"),
    "unknown model": (as_jsonl(chat_line("a", model="meta-llama/llama-9-1t")), "Line 1"),
    "second model": (as_jsonl(chat_line("a"), chat_line("b", model="meta-llama/llama-3.1-8b-instruct")), "Line 2"),
    "repeated custom_id": (as_jsonl(chat_line("a"), chat_line("a")), "Line 2"),
    "other endpoint": (as_jsonl({**chat_line("a"), "url": "/v1/embeddings"}), "Line 1"),
    "max_tokens above the model": (as_jsonl(chat_line("a", max_tokens=10**9)), "Line 1"),
    "nested prompts on chat": (as_jsonl({"custom_id": "a", "body": {"model": LLAMA, "prompt": ["x"] * 40}}),
                               "Line 1"),
}


async def test_hostile_batch_lines_are_refused_by_line_and_nothing_billable_reaches_novita(
        sandbox, make_settings) -> None:
    charges_before = list(sandbox.state.charges)
    async with serve_over_http(sandbox, latency=0.02) as url:
        async with connect(http_server(sandbox, url, make_settings)) as client:
            results = {name: await client.call_tool("create_batch", {"jsonl": text})
                       for name, (text, _) in HOSTILE.items()}
    for name, (_, where) in HOSTILE.items():
        result = results[name]
        assert result.is_error, name
        assert where in result.content[0].text and "Nothing was sent" in result.content[0].text, name
    assert billable_requests(sandbox) == []
    assert sandbox.state.charges == charges_before


async def test_a_prompt_list_is_quoted_per_prompt_so_the_costly_batch_asks_first(sandbox, make_settings) -> None:
    """The issue's case: 40 prompts a line were quoted as one answer and the batch ran unasked."""
    prompts = [f"write 900 words about topic {i}" for i in range(40)]
    text = as_jsonl(*({"custom_id": f"p{i}", "body": {"model": R1, "prompt": prompts, "max_tokens": 600}}
                      for i in range(2)))
    async with serve_over_http(sandbox, latency=0.02) as url:
        async with connect(http_server(sandbox, url, make_settings)) as client:
            asked = await client.call_tool("create_batch", {"jsonl": text, "endpoint": "completions"})
            assert asked.structured_content["status"] == "confirmation_required", asked.content[0].text
            assert billable_requests(sandbox) == []
            view = asked.structured_content["confirmation"]
            quoted = Decimal(view["cost_usd"])
            # 2 lines x 40 prompts x 600 tokens at $2.50/M is $0.12 of output alone; one answer a line was $0.003.
            assert quoted >= Decimal("0.12")
            done = await client.call_tool("create_batch", {"jsonl": text, "endpoint": "completions",
                                                           "confirmation_token": view["token"]})
            assert not done.is_error, done.content[0].text
            batch_id = done.structured_content["result"]["batch"]["id"]
            sandbox.advance(3600)
            status = await client.call_tool("get_batch", {"batch_id": batch_id})
    assert status.structured_content["status"] == "COMPLETED" and status.structured_content["failed"] == 0
    charged = sum(c.amount_units for c in sandbox.state.charges if c.owner_id == batch_id) / UNITS_PER_USD
    # Every answer ran to max_tokens, so the charge is the quote (to the sandbox's 0.0001 USD rounding).
    assert abs(charged - quoted) <= Decimal("0.0002") and charged <= quoted + Decimal("0.0001")


async def test_a_line_without_max_tokens_is_quoted_at_the_models_ceiling(sandbox, make_settings) -> None:
    text = as_jsonl({"custom_id": "a", "body": {"model": R1, "messages": [{"role": "user", "content": "hi"}],
                                                "n": 2}})
    async with serve_over_http(sandbox, latency=0.02) as url:
        async with connect(http_server(sandbox, url, make_settings)) as client:
            asked = await client.call_tool("create_batch", {"jsonl": text})
    view = asked.structured_content["confirmation"]
    # R1 writes at most 32,768 tokens an answer: 2 answers x 32,768 x $2.50/M = $0.16384 (+ the prompt).
    assert Decimal(view["cost_usd"]) > Decimal("0.16384")
    assert "65,536 output tokens" in view["cost_basis"]
    assert billable_requests(sandbox) == []
