"""``client.llm.batch``: uploads, batches and results against the sandbox."""

from __future__ import annotations

import json

import pytest

from novita_mcp.client import NotFoundError, NovitaClient

pytestmark = pytest.mark.anyio

LINE = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
        "body": {"model": "meta-llama/llama-3.3-70b-instruct", "messages": [{"role": "user", "content": "hi"}],
                 "max_tokens": 10}}


@pytest.fixture
async def client(sandbox):
    async with NovitaClient(api_key=sandbox.api_key, base_url=sandbox.base_url, transport=sandbox.transport()) as c:
        yield c


async def test_a_file_uploads_as_multipart_and_a_batch_runs_to_its_results(client, sandbox) -> None:
    api = client.llm.batch
    f = await api.upload_file("in.jsonl", (json.dumps(LINE) + "\n").encode())
    assert f.total_requests == 1 and f.purpose == "batch"
    assert [x.id for x in await api.files()] == [f.id]
    batch = await api.create(f.id, metadata={"job": "demo"})
    assert batch.status == "VALIDATING" and not batch.finished
    sandbox.advance(60)
    done = await api.get(batch.id)
    assert done.finished and done.request_counts.completed == 1
    rows = (await api.file_content(done.output_file_id, max_bytes=10_000)).decode().splitlines()
    assert json.loads(rows[0])["custom_id"] == "a"
    page = await api.list(limit=10)
    assert [b.id for b in page.data] == [batch.id] and page.has_more is False


async def test_cancel_and_delete_reach_the_sandbox(client, sandbox) -> None:
    api = client.llm.batch
    f = await api.upload_file("in.jsonl", (json.dumps(LINE) + "\n").encode())
    batch = await api.create(f.id)
    assert (await api.cancel(batch.id)).status == "CANCELLING"
    await api.delete_file(f.id)
    with pytest.raises(NotFoundError):
        await api.file(f.id)
