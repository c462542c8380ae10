"""``client.llm`` against the sandbox: typed models, chat, the SSE stream, embeddings, rerank."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from novita_mcp.client import (
    MalformedResponseError,
    NotFoundError,
    NovitaClient,
    RateLimitError,
)
from novita_mcp.client.llm import ChatAccumulator
from novita_mcp.sandbox import FaultRule

pytestmark = pytest.mark.anyio

LLAMA = "meta-llama/llama-3.3-70b-instruct"
HELLO = [{"role": "user", "content": "Hello there"}]


@pytest.fixture
async def client(sandbox):
    async with NovitaClient(api_key=sandbox.api_key, base_url=sandbox.base_url,
                            transport=sandbox.transport()) as c:
        yield c


async def test_models_come_typed_with_prices_converted_exactly(client) -> None:
    models = await client.llm.models()
    llama = next(m for m in models if m.id == LLAMA)
    assert llama.input_usd_per_m == Decimal("0.39") and llama.kind == "chat"
    assert llama.cost_usd(1_000_000, 500_000) == Decimal("0.585")
    assert {m.kind for m in models} >= {"chat", "embedding", "rerank"}
    assert (await client.llm.model(LLAMA)).context_size == 131072


async def test_chat_returns_the_message_finish_reason_and_usage(client) -> None:
    reply = await client.llm.chat(LLAMA, HELLO, max_tokens=64, temperature=0.5)
    assert reply.message.content == f'Sandbox reply from {LLAMA}: you said "Hello there".'
    assert reply.finish_reason == "stop" and reply.usage.prompt_tokens == 10


async def test_the_stream_is_parsed_into_chunks_that_rebuild_the_same_answer(client, sandbox) -> None:
    plain = await client.llm.chat(LLAMA, HELLO, max_tokens=64)
    acc = ChatAccumulator()
    chunks = [c async for c in client.llm.chat_stream(LLAMA, HELLO, max_tokens=64)]
    for chunk in chunks:
        acc.add(chunk)
    streamed = acc.result()
    assert len(chunks) > 3 and chunks[-1].usage is not None
    assert streamed.message.content == plain.message.content
    assert streamed.finish_reason == "stop" and streamed.usage == plain.usage
    assert sandbox.state.requests[-1].body["stream_options"] == {"include_usage": True}


async def test_streamed_tool_calls_are_reassembled(client) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {
        "type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}}]
    acc = ChatAccumulator()
    async for chunk in client.llm.chat_stream(LLAMA, [{"role": "user", "content": "lookup q=llamas"}], tools=tools):
        acc.add(chunk)
    result = acc.result()
    assert result.finish_reason == "tool_calls"
    assert result.message.tool_calls[0].function.name == "lookup"
    assert json.loads(result.message.tool_calls[0].function.arguments) == {"q": "llamas"}


async def test_a_stream_error_is_raised_before_any_chunk(client) -> None:
    with pytest.raises(NotFoundError) as err:
        async for _ in client.llm.chat_stream("acme/none", HELLO):
            pass
    assert err.value.reason == "MODEL_NOT_FOUND"


async def test_a_rate_limited_chat_is_not_retried(client, sandbox) -> None:
    sandbox.faults.add(FaultRule("rate_limit", path="/openai/v1/chat", times=5, retry_after=2))
    with pytest.raises(RateLimitError) as err:
        await client.llm.chat(LLAMA, HELLO)
    assert err.value.retry_after == 2
    assert len(sandbox.state.requests_to("/openai/v1/chat")) == 1


async def test_base_url_sends_chat_to_a_dedicated_host_with_the_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "x", "model": "m:1", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]})

    async with NovitaClient(api_key="sk_abc", base_url="https://api.novita.ai",
                            dedicated_base_url="https://dedicated.example",
                            transport=httpx.MockTransport(handler)) as c:
        reply = await c.llm.chat("m:1", HELLO, base_url="https://dedicated.example")
    assert str(seen[0].url) == "https://dedicated.example/v1/chat/completions"
    assert seen[0].headers["authorization"] == "Bearer sk_abc"
    assert reply.message.content == "hi"


async def test_malformed_stream_events_are_reported_as_such() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="data: {oops\n\ndata: [DONE]\n\n",
                              headers={"content-type": "text/event-stream"})

    async with NovitaClient(api_key="k", transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(MalformedResponseError):
            async for _ in c.llm.chat_stream(LLAMA, HELLO):
                pass


async def test_sse_comments_and_multi_line_data_are_handled() -> None:
    chunk = {"id": "c", "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]}
    payload = json.dumps(chunk, indent=1).replace("\n", "\ndata: ")
    body = f": keep-alive\n\ndata: {payload}\n\ndata: [DONE]\n\n"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    async with NovitaClient(api_key="k", transport=httpx.MockTransport(handler)) as c:
        chunks = [x async for x in c.llm.chat_stream(LLAMA, HELLO)]
    assert [x.choices[0].delta.content for x in chunks] == ["ok"]


async def test_completion_embeddings_and_rerank_are_typed(client) -> None:
    text = await client.llm.completion(LLAMA, "Once", max_tokens=20)
    emb = await client.llm.embeddings("baai/bge-m3", ["a", "b"])
    ranked = await client.llm.rerank("baai/bge-reranker-v2-m3", "red barn", ["lake", "red barn"], top_n=1)
    assert text.choices[0].text.startswith(" Sandbox reply")
    assert [len(d.embedding) for d in emb.data] == [1024, 1024] and emb.usage.prompt_tokens == 2
    assert [h.index for h in ranked.results] == [1] and ranked.usage.prompt_tokens > 0
