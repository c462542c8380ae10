"""embed and rerank through MCP: quotes equal charges, limits checked before sending."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from novita_mcp.client.llm_tokens import count_tokens, rerank_tokens
from novita_mcp.sandbox.state import UNITS_PER_USD

from .conftest import connect

pytestmark = pytest.mark.anyio


def new_charges(sandbox) -> list:
    return [c for c in sandbox.state.charges if c.at >= sandbox.clock.now()]


async def test_embed_quotes_exactly_what_the_sandbox_charges(make_server, sandbox) -> None:
    inputs = ["The red barn stands by the lake.", "A quiet blue lake at dawn.", "GPU prices went up"]
    async with connect(make_server(auto_approve_usd=0)) as client:
        asked = await client.call_tool("embed", {"inputs": inputs})
        view = asked.structured_content["confirmation"]
        done = await client.call_tool("embed", {"inputs": inputs, "confirmation_token": view["token"]})
    result = done.structured_content["result"]
    (charge,) = new_charges(sandbox)
    assert Decimal(view["cost_usd"]) == charge.amount_units / UNITS_PER_USD == Decimal(result["cost_usd"])
    assert result["prompt_tokens"] == sum(count_tokens(t) for t in inputs)
    assert result["dimensions"] == 1024 and [len(i["preview"]) for i in result["items"]] == [6, 6, 6]
    sims = result["cosine_similarity"]
    assert len(sims) == 3 and sims[0][0] == 1.0 and sims[0][1] == sims[1][0]
    assert all(i["vector"] is None for i in result["items"])


async def test_full_vectors_come_inline_only_while_they_fit(make_server) -> None:
    inputs = [f"text {i}" for i in range(5)]
    async with connect(make_server()) as client:
        result = await client.call_tool("embed", {"inputs": inputs, "include_vectors": True})
    items = result.structured_content["result"]["items"]
    assert [i["vector"] is not None for i in items] == [True] * 4 + [False]
    assert len(items[0]["vector"]) == 1024 and "fit inline" in result.content[0].text


async def test_with_an_output_dir_every_vector_is_saved_to_a_file(make_server, tmp_path) -> None:
    async with connect(make_server(output_dir=tmp_path)) as client:
        result = await client.call_tool("embed", {"inputs": ["a", "b"], "model": "qwen/qwen3-embedding-8b"})
    saved = json.loads(open(result.structured_content["result"]["saved_to"]).read())
    assert [len(v) for v in saved["vectors"]] == [4096, 4096]


async def test_an_input_over_the_model_window_is_refused_before_sending(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("embed", {"inputs": ["ok", "a " * 8200]})
    assert result.is_error and "inputs[1]" in result.content[0].text
    assert sandbox.state.requests_to("/openai/v1/embeddings") == []


async def test_a_chat_model_is_not_an_embedding_model(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("embed", {"inputs": ["x"], "model": "meta-llama/llama-3.3-70b-instruct"})
    assert result.is_error and "baai/bge-m3" in result.content[0].text
    assert sandbox.state.requests_to("/openai/v1/embeddings") == []


async def test_too_many_inputs_are_an_argument_error(make_server) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("embed", {"inputs": ["x"] * 65})
    assert result.is_error


async def test_rerank_returns_the_best_first_and_charges_its_quote(make_server, sandbox) -> None:
    docs = ["A quiet blue lake.", "The red barn in the rain.", "Red paint on a barn door.", "GPU prices"]
    args = {"query": "red barn", "documents": docs, "top_n": 2}
    async with connect(make_server(auto_approve_usd=0)) as client:
        asked = await client.call_tool("rerank", args)
        view = asked.structured_content["confirmation"]
        done = await client.call_tool("rerank", {**args, "confirmation_token": view["token"]})
    result = done.structured_content["result"]
    assert [r["index"] for r in result["results"]] == [1, 2]
    assert result["results"][0]["snippet"] == docs[1]
    (charge,) = new_charges(sandbox)
    assert charge.bill_num0 == rerank_tokens("red barn", docs)
    assert Decimal(view["cost_usd"]) == charge.amount_units / UNITS_PER_USD == Decimal(result["cost_usd"])


async def test_rerank_checks_each_document_against_the_window(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("rerank", {"query": "q", "documents": ["fine", "a " * 8100]})
    assert result.is_error and "documents[1]" in result.content[0].text
    assert sandbox.state.requests_to("/openai/v1/rerank") == []
