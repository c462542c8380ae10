"""The openai SDK against the sandbox served over HTTP, on every OpenAI-compatible base Novita documents.

``https://api.novita.ai/v1`` (the Quick Start's first request), ``/openai/v1`` (the LLM pages)
and the legacy ``/v3/openai``; models, chat, completions, embeddings, then files and batches
end to end. The sandbox's clock stands still unless the test advances it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import openai
import pytest

from ..served import serve_over_http
from ._served import contract_sandbox

pytestmark = pytest.mark.anyio

LLAMA = "meta-llama/llama-3.3-70b-instruct"
HELLO = [{"role": "user", "content": "Hello there"}]


@pytest.fixture
def sandbox():  # noqa: ANN201 - overrides the shared fixture with a contract key
    return contract_sandbox()


@asynccontextmanager
async def sdk(sandbox, base: str) -> AsyncIterator[openai.AsyncOpenAI]:
    async with serve_over_http(sandbox, latency=0) as url:
        client = openai.AsyncOpenAI(base_url=url + base, api_key=sandbox.api_key, max_retries=0)
        try:
            yield client
        finally:
            await client.close()


@pytest.mark.parametrize("base", ["/v1", "/openai/v1", "/v3/openai"])
async def test_every_documented_base_lists_the_same_models_and_chats(sandbox, base) -> None:
    async with sdk(sandbox, base) as client:
        ids = [m.id async for m in client.models.list()]
        reply = await client.chat.completions.create(model=LLAMA, messages=HELLO, max_tokens=40)
    assert LLAMA in ids and "baai/bge-m3" in ids
    assert reply.model == LLAMA and reply.choices[0].message.content and reply.usage.total_tokens > 0


async def test_a_model_is_retrieved_by_its_id(sandbox) -> None:
    async with sdk(sandbox, "/openai/v1") as client:
        model = await client.models.retrieve(LLAMA)
        with pytest.raises(openai.NotFoundError):
            await client.models.retrieve("acme/nothing-7b")
    assert model.id == LLAMA


async def test_completions_and_embeddings_answer_through_the_sdk(sandbox) -> None:
    async with sdk(sandbox, "/openai/v1") as client:
        completion = await client.completions.create(model=LLAMA, prompt="Once upon a time", max_tokens=20)
        vectors = await client.embeddings.create(model="baai/bge-m3", input=["a cat", "a dog"])
    assert completion.choices[0].text and completion.usage.prompt_tokens > 0
    assert [len(v.embedding) for v in vectors.data] == [1024, 1024]


async def test_a_batch_runs_end_to_end_through_files_and_batches(sandbox) -> None:
    lines = [{"custom_id": f"q{i}", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": LLAMA, "messages": [{"role": "user", "content": f"Question {i}"}], "max_tokens": 30}}
             for i in range(3)]
    jsonl = "\n".join(json.dumps(line) for line in lines).encode()
    with anyio.fail_after(60):
        await _run_batch(sandbox, jsonl)


async def _run_batch(sandbox, jsonl: bytes) -> None:
    async with sdk(sandbox, "/openai/v1") as client:
        uploaded = await client.files.create(file=("input.jsonl", jsonl), purpose="batch")
        assert (await client.files.retrieve(uploaded.id)).id == uploaded.id
        # The SDK pages with after=<last id> until a page is empty; an ignored cursor would loop forever.
        assert uploaded.id in [f.id async for f in client.files.list()]
        batch = await client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                            completion_window="48h")
        other = await client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                            completion_window="48h")
        cancelled = await client.batches.cancel(other.id)
        sandbox.advance(3600)
        done = await client.batches.retrieve(batch.id)
        output = await client.files.content(done.output_file_id)
        listed = [b.id async for b in client.batches.list(limit=10)]
        deleted = await client.files.delete(uploaded.id)
        settled = await client.batches.retrieve(other.id)
    assert done.status == "COMPLETED" and done.request_counts.completed == 3
    answers = [json.loads(line) for line in output.text.splitlines() if line.strip()]
    assert sorted(a["custom_id"] for a in answers) == ["q0", "q1", "q2"]
    assert cancelled.status == "CANCELLING" and settled.status == "CANCELLED"
    assert set(listed) == {batch.id, other.id} and deleted.deleted
