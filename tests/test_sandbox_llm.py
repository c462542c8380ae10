"""The sandbox's OpenAI-compatible LLM API, straight over HTTP and through the openai SDK."""

from __future__ import annotations

import base64
import json
import math
import struct
from decimal import Decimal

import httpx
import openai
import pytest

from novita_mcp.client.llm_tokens import chat_prompt_tokens, count_tokens, rerank_tokens
from novita_mcp.sandbox import FaultRule

pytestmark = pytest.mark.anyio

LLAMA = "meta-llama/llama-3.3-70b-instruct"
HELLO = [{"role": "user", "content": "Hello there"}]


@pytest.fixture
async def http(sandbox):
    async with httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(),
                                 headers={"Authorization": f"Bearer {sandbox.api_key}"}) as client:
        yield client


def sse_events(text: str) -> list[str]:
    assert text.endswith("\n\n")
    blocks = text.split("\n\n")[:-1]
    assert all(b.startswith("data: ") for b in blocks)
    return [b[len("data: "):] for b in blocks]


@pytest.mark.parametrize("prefix", ["/openai/v1", "/v3/openai", "/openai"])
async def test_every_documented_base_lists_the_catalogue_with_prices(http, prefix) -> None:
    r = await http.get(f"{prefix}/models")
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "list" and len(body["data"]) >= 10
    llama = next(m for m in body["data"] if m["id"] == LLAMA)
    assert (llama["input_token_price_per_m"], llama["output_token_price_per_m"]) == (3900, 3900)
    assert llama["context_size"] == 131072 and llama["max_output_tokens"] > 0
    assert {"embedding", "rerank", "chat"} <= {m["model_type"] for m in body["data"]}


async def test_a_model_is_retrieved_by_its_slashed_id_and_an_unknown_one_is_404(http) -> None:
    found = await http.get(f"/openai/v1/models/{LLAMA}")
    missing = await http.get("/openai/v1/models/acme/nothing-7b")
    assert found.json()["id"] == LLAMA and found.json()["object"] == "model"
    assert missing.status_code == 404
    assert missing.json() == {"code": 404, "reason": "MODEL_NOT_FOUND", "message": "model acme/nothing-7b not found",
                              "metadata": {}}


async def test_chat_answers_deterministically_and_charges_the_counted_tokens(http, sandbox) -> None:
    before = sandbox.state.balance_units
    first = (await http.post("/openai/v1/chat/completions",
                             json={"model": LLAMA, "messages": HELLO, "max_tokens": 100})).json()
    second = (await http.post("/v3/openai/chat/completions",
                              json={"model": LLAMA, "messages": HELLO, "max_tokens": 100})).json()
    answer = f'Sandbox reply from {LLAMA}: you said "Hello there".'
    assert first["object"] == "chat.completion"
    assert first["choices"][0]["message"] == {"role": "assistant", "content": answer, "reasoning_content": None}
    assert second["choices"][0]["message"]["content"] == answer
    usage = first["usage"]
    assert usage["prompt_tokens"] == chat_prompt_tokens(HELLO) == 4 + (2 + 2) + 2
    assert usage["completion_tokens"] == count_tokens(answer)
    charge = sandbox.state.charges[-1]
    assert (charge.category, charge.product_name) == ("llm", LLAMA)
    assert (charge.bill_num0, charge.bill_num1) == (usage["prompt_tokens"], usage["completion_tokens"])
    assert (charge.unit_price0, charge.unit_price1) == (3900, 3900)
    assert charge.amount_units == Decimal(usage["total_tokens"] * 3900) / 1_000_000
    assert before - sandbox.state.balance_units == 2 * charge.amount_units


async def test_streaming_sends_openai_chunks_a_usage_chunk_and_done(http) -> None:
    body = {"model": LLAMA, "messages": HELLO, "max_tokens": 100, "stream": True,
            "stream_options": {"include_usage": True}}
    r = await http.post("/openai/v1/chat/completions", json=body)
    assert r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["prompt_tokens"] == 10
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks[:-1])
    assert text == f'Sandbox reply from {LLAMA}: you said "Hello there".'


async def test_a_stream_without_include_usage_has_no_usage_field(http) -> None:
    r = await http.post("/openai/chat/completions", json={"model": LLAMA, "messages": HELLO, "stream": True})
    chunks = [json.loads(e) for e in sse_events(r.text)[:-1]]
    assert all("usage" not in c for c in chunks)


async def test_max_tokens_cuts_the_answer_exactly_with_finish_length(http) -> None:
    messages = [{"role": "user", "content": "write 300 words about lakes"}]
    r = (await http.post("/openai/v1/chat/completions",
                         json={"model": LLAMA, "messages": messages, "max_tokens": 40})).json()
    assert r["choices"][0]["finish_reason"] == "length"
    assert r["usage"]["completion_tokens"] == 40


async def test_json_mode_returns_valid_json_and_json_schema_fills_the_schema(http) -> None:
    plain = (await http.post("/openai/v1/chat/completions", json={
        "model": LLAMA, "messages": HELLO, "response_format": {"type": "json_object"}})).json()
    assert json.loads(plain["choices"][0]["message"]["content"])["model"] == LLAMA
    schema = {"type": "object", "properties": {"title": {"type": "string"}, "year": {"type": "integer"},
                                               "tone": {"type": "string", "enum": ["dry", "warm"]}},
              "required": ["title", "year", "tone"]}
    shaped = (await http.post("/openai/v1/chat/completions", json={
        "model": LLAMA, "messages": [{"role": "user", "content": "a book, year=1999"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "book", "schema": schema}}})).json()
    value = json.loads(shaped["choices"][0]["message"]["content"])
    assert value["year"] == 1999 and value["tone"] == "dry" and value["title"].startswith("Sandbox reply")


WEATHER = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city", "days"]}}}]


async def test_a_prompt_naming_a_tool_gets_a_tool_call(http) -> None:
    messages = [{"role": "user", "content": "Please get weather for city: Paris, days=3"}]
    r = (await http.post("/openai/v1/chat/completions",
                         json={"model": LLAMA, "messages": messages, "tools": WEATHER})).json()
    choice = r["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["type"] == "function" and call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris", "days": 3}
    off = (await http.post("/openai/v1/chat/completions", json={
        "model": LLAMA, "messages": messages, "tools": WEATHER, "tool_choice": "none"})).json()
    assert off["choices"][0]["finish_reason"] == "stop"


async def test_after_a_tool_result_the_model_answers_in_text(http) -> None:
    messages = [{"role": "user", "content": "get_weather city=Oslo days=1"},
                {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {
                    "name": "get_weather", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "sunny, 21C"}]
    r = (await http.post("/openai/v1/chat/completions",
                         json={"model": LLAMA, "messages": messages, "tools": WEATHER})).json()
    assert r["choices"][0]["message"]["content"] == f'Sandbox reply from {LLAMA}: the tool returned "sunny, 21C".'


async def test_prompt_plus_max_tokens_over_the_context_is_token_limit_exceeded(http, sandbox) -> None:
    before = len(sandbox.state.charges)
    r = await http.post("/openai/v1/chat/completions",
                        json={"model": "meta-llama/llama-3.1-8b-instruct", "messages": HELLO, "max_tokens": 16380})
    assert r.status_code == 429 and r.json()["reason"] == "TOKEN_LIMIT_EXCEEDED"
    assert len(sandbox.state.charges) == before


async def test_an_empty_balance_is_refused_with_not_enough_balance(http, sandbox) -> None:
    sandbox.state.balance_units = Decimal(0)
    r = await http.post("/openai/v1/chat/completions", json={"model": LLAMA, "messages": HELLO})
    assert r.status_code == 403
    assert r.json()["reason"] == "NOT_ENOUGH_BALANCE"
    assert sandbox.state.balance_units == 0


@pytest.mark.parametrize("body", [
    {"model": LLAMA},
    {"model": LLAMA, "messages": []},
    {"model": LLAMA, "messages": HELLO, "temperature": 3},
    {"model": LLAMA, "messages": [{"role": "robot", "content": "x"}]},
    {"model": LLAMA, "messages": HELLO, "max_tokens": 10**6},
    {"model": "baai/bge-m3", "messages": HELLO},
])
async def test_malformed_requests_are_invalid_request_body(http, body) -> None:
    r = await http.post("/openai/v1/chat/completions", json=body)
    assert r.status_code == 400 and r.json()["reason"] == "INVALID_REQUEST_BODY"


async def test_injected_rate_limits_answer_429_with_retry_after(http, sandbox) -> None:
    sandbox.faults.add(FaultRule("rate_limit", path="/openai/v1/chat", retry_after=7))
    r = await http.post("/openai/v1/chat/completions", json={"model": LLAMA, "messages": HELLO})
    assert r.status_code == 429 and r.json()["reason"] == "RATE_LIMIT_EXCEEDED"
    assert r.headers["retry-after"] == "7"


async def test_a_missing_key_fails_to_auth(sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport()) as anonymous:
        r = await anonymous.get("/openai/v1/models")
    assert r.status_code == 401 and r.json()["reason"] == "FAILED_TO_AUTH"


async def test_completions_answer_in_text_completion_shape(http) -> None:
    r = (await http.post("/openai/v1/completions",
                         json={"model": LLAMA, "prompt": "Once upon a time", "max_tokens": 64})).json()
    assert r["object"] == "text_completion"
    assert r["choices"][0]["text"] == f' Sandbox reply from {LLAMA}: you said "Once upon a time".'
    assert r["usage"]["prompt_tokens"] == count_tokens("Once upon a time")


async def test_embeddings_are_deterministic_unit_vectors_of_the_model_dimension(http, sandbox) -> None:
    body = {"model": "baai/bge-m3", "input": ["red barn", "blue lake"]}
    first = (await http.post("/openai/v1/embeddings", json=body)).json()
    again = (await http.post("/openai/v1/embeddings", json=body)).json()
    packed = (await http.post("/openai/v1/embeddings", json={**body, "encoding_format": "base64"})).json()
    vectors = [d["embedding"] for d in first["data"]]
    assert [len(v) for v in vectors] == [1024, 1024]
    assert vectors == [d["embedding"] for d in again["data"]] and vectors[0] != vectors[1]
    assert math.isclose(sum(x * x for x in vectors[0]), 1.0, rel_tol=1e-4)
    decoded = struct.unpack("<1024f", base64.b64decode(packed["data"][0]["embedding"]))
    assert math.isclose(decoded[5], vectors[0][5], rel_tol=1e-5)
    assert first["usage"] == {"prompt_tokens": 4, "total_tokens": 4}
    assert sandbox.state.charges[-1].amount_units == Decimal(4 * 100) / 1_000_000


async def test_rerank_orders_by_word_overlap_and_honours_top_n(http) -> None:
    docs = ["a quiet blue lake", "the red barn in rain", "red paint"]
    r = (await http.post("/openai/v1/rerank", json={"model": "baai/bge-reranker-v2-m3", "query": "red barn",
                                                     "documents": docs, "top_n": 2})).json()
    assert [x["index"] for x in r["results"]] == [1, 2]
    assert r["results"][0]["document"] == {"text": docs[1]}
    assert r["usage"]["prompt_tokens"] == rerank_tokens("red barn", docs)


# --- an OpenAI-compatible client consumes the sandbox exactly as it would Novita -------------------
@pytest.fixture
async def sdk(sandbox):
    http_client = httpx.AsyncClient(transport=sandbox.transport())
    client = openai.AsyncOpenAI(base_url=sandbox.base_url + "/openai/v1", api_key=sandbox.api_key,
                                http_client=http_client, max_retries=0)
    yield client
    await client.close()


async def test_the_openai_sdk_chats_and_sends_the_documented_request(sdk, sandbox) -> None:
    reply = await sdk.chat.completions.create(model=LLAMA, messages=HELLO, max_tokens=50, temperature=0.2)
    assert reply.object == "chat.completion" and reply.model == LLAMA
    assert reply.choices[0].message.content == f'Sandbox reply from {LLAMA}: you said "Hello there".'
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage.prompt_tokens == 10 and reply.usage.total_tokens > 10
    sent = sandbox.state.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/openai/v1/chat/completions")
    assert sent.body == {"model": LLAMA, "messages": HELLO, "max_tokens": 50, "temperature": 0.2}


async def test_the_openai_sdk_streams_chunks_usage_and_stops_at_done(sdk, sandbox) -> None:
    stream = await sdk.chat.completions.create(model=LLAMA, messages=HELLO, max_tokens=50, stream=True,
                                               stream_options={"include_usage": True})
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == f'Sandbox reply from {LLAMA}: you said "Hello there".'
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == count_tokens(text)
    assert sandbox.state.requests[-1].body["stream"] is True


async def test_the_openai_sdk_reads_tool_calls_models_and_embeddings(sdk) -> None:
    reply = await sdk.chat.completions.create(
        model=LLAMA, messages=[{"role": "user", "content": "get_weather city=Rome days=2"}], tools=WEATHER)
    call = reply.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments)["city"] == "Rome"
    page = await sdk.models.list()
    assert LLAMA in [m.id for m in page.data]
    emb = await sdk.embeddings.create(model="baai/bge-m3", input="hello")  # the SDK asks for base64
    assert len(emb.data[0].embedding) == 1024


async def test_the_openai_sdk_raises_its_own_errors_with_novitas_envelope(sdk) -> None:
    with pytest.raises(openai.NotFoundError) as err:
        await sdk.chat.completions.create(model="acme/none", messages=HELLO)
    assert err.value.status_code == 404
    assert err.value.body["reason"] == "MODEL_NOT_FOUND"
