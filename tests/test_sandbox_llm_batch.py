"""LLM files and batches in the sandbox: uploads, the status machine on the clock, charges."""

from __future__ import annotations

import json

import httpx
import pytest

from novita_mcp.sandbox.llm_batch import (
    CANCEL_SECONDS,
    SECONDS_PER_REQUEST,
    VALIDATE_SECONDS,
)

pytestmark = pytest.mark.anyio

LLAMA = "meta-llama/llama-3.3-70b-instruct"


def jsonl(n: int, *, url: str = "/v1/chat/completions", model: str = LLAMA) -> bytes:
    rows = [{"custom_id": f"r{i}", "method": "POST", "url": url,
             "body": {"model": model, "messages": [{"role": "user", "content": f"question {i}"}], "max_tokens": 30}}
            for i in range(n)]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


@pytest.fixture
async def http(sandbox):
    async with httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(),
                                 headers={"Authorization": f"Bearer {sandbox.api_key}"}) as client:
        yield client


async def upload(http, content: bytes) -> dict:
    r = await http.post("/openai/v1/files", files={"file": ("in.jsonl", content)}, data={"purpose": "batch"})
    assert r.status_code == 200, r.text
    return r.json()


async def start(http, content: bytes) -> dict:
    f = await upload(http, content)
    r = await http.post("/openai/v1/batches", json={"input_file_id": f["id"], "endpoint": "/v1/chat/completions",
                                                     "completion_window": "48h"})
    assert r.status_code == 200, r.text
    return r.json()


async def test_an_upload_is_a_file_object_listed_in_novitas_envelope(http) -> None:
    f = await upload(http, jsonl(3))
    assert f["object"] == "file" and f["purpose"] == "batch" and f["metadata"] == {"total_requests": 3}
    listed = (await http.get("/openai/v1/files")).json()
    assert listed["code"] == 0 and [x["id"] for x in listed["data"]] == [f["id"]]
    assert (await http.get(f"/openai/v1/files/{f['id']}/content")).content == jsonl(3)
    assert (await http.delete(f"/openai/v1/files/{f['id']}")).json() == {"deleted": True, "id": f["id"],
                                                                        "object": "file"}
    assert (await http.get(f"/openai/v1/files/{f['id']}")).status_code == 404


@pytest.mark.parametrize("content", [b"not json\n", b'{"custom_id": "a"}\n', b"", jsonl(1) + jsonl(1)])
async def test_a_malformed_input_file_is_refused(http, content) -> None:
    r = await http.post("/openai/v1/files", files={"file": ("in.jsonl", content)}, data={"purpose": "batch"})
    assert r.status_code == 400 and r.json()["reason"] == "INVALID_REQUEST_BODY"


async def test_a_batch_validates_runs_on_the_clock_and_charges_each_request(http, sandbox) -> None:
    batch = await start(http, jsonl(3))
    assert batch["status"] == "VALIDATING" and batch["request_counts"] == {"total": 3, "completed": 0, "failed": 0}
    assert batch["completion_window"] == "48h" and batch["in_progress_at"] is None
    charges = len(sandbox.state.charges)
    sandbox.advance(VALIDATE_SECONDS + SECONDS_PER_REQUEST)
    mid = (await http.get(f"/openai/v1/batches/{batch['id']}")).json()
    assert mid["status"] == "PROGRESS" and mid["request_counts"]["completed"] == 1
    sandbox.advance(10 * SECONDS_PER_REQUEST)
    done = (await http.get(f"/openai/v1/batches/{batch['id']}")).json()
    assert done["status"] == "COMPLETED" and done["completed_at"] and done["error_file_id"] == ""
    new = sandbox.state.charges[charges:]
    assert len(new) == 3 and {c.owner_id for c in new} == {batch["id"]}
    content = (await http.get(f"/openai/v1/files/{done['output_file_id']}/content")).text
    rows = [json.loads(x) for x in content.splitlines()]
    assert [r["custom_id"] for r in rows] == ["r0", "r1", "r2"]
    assert rows[1]["response"]["status_code"] == 200
    assert rows[1]["response"]["body"]["choices"][0]["message"]["content"] == \
        f'Sandbox reply from {LLAMA}: you said "question 1".'
    output = (await http.get(f"/openai/v1/files/{done['output_file_id']}")).json()
    assert output["purpose"] == "batch_output" and output["expires_at"] > output["created_at"]


async def test_requests_that_fail_go_to_the_error_file(http, sandbox) -> None:
    content = jsonl(1) + jsonl(1, model="acme/none").replace(b'"r0"', b'"bad"')
    batch = await start(http, content)
    sandbox.advance(VALIDATE_SECONDS + 10)
    done = (await http.get(f"/openai/v1/batches/{batch['id']}")).json()
    assert done["status"] == "COMPLETED" and done["request_counts"] == {"total": 2, "completed": 1, "failed": 1}
    errors = (await http.get(f"/openai/v1/files/{done['error_file_id']}/content")).json()
    assert errors["custom_id"] == "bad" and errors["error"]["code"] == "MODEL_NOT_FOUND"


async def test_lines_for_another_endpoint_fail_the_batch_at_validation(http, sandbox) -> None:
    batch = await start(http, jsonl(2, url="/v1/completions"))
    sandbox.advance(VALIDATE_SECONDS)
    failed = (await http.get(f"/openai/v1/batches/{batch['id']}")).json()
    assert failed["status"] == "FAILED" and "/v1/chat/completions" in failed["errors"]


async def test_a_cancel_settles_after_a_pause_and_keeps_finished_answers(http, sandbox) -> None:
    batch = await start(http, jsonl(10))
    sandbox.advance(VALIDATE_SECONDS + 2 * SECONDS_PER_REQUEST)
    r = await http.post(f"/openai/v1/batches/{batch['id']}/cancel")
    assert r.json()["status"] == "CANCELLING" and r.json()["cancelling_at"]
    sandbox.advance(CANCEL_SECONDS)
    cancelled = (await http.get(f"/openai/v1/batches/{batch['id']}")).json()
    assert cancelled["status"] == "CANCELLED" and cancelled["request_counts"]["completed"] == 2
    assert cancelled["output_file_id"]
    again = await http.post(f"/openai/v1/batches/{batch['id']}/cancel")
    assert again.status_code == 400 and again.json()["reason"] == "INVALID_REQUEST_BODY"


async def test_batches_list_newest_first_with_cursor_paging(http, sandbox) -> None:
    ids = []
    for _ in range(3):
        ids.append((await start(http, jsonl(1)))["id"])
        sandbox.advance(1)
    first = (await http.get("/openai/v1/batches", params={"limit": 2})).json()
    assert first["object"] == "list" and [b["id"] for b in first["data"]] == ids[::-1][:2]
    assert first["has_more"] is True and first["last_id"] == ids[1]
    rest = (await http.get("/openai/v1/batches", params={"limit": 2, "after": first["last_id"]})).json()
    assert [b["id"] for b in rest["data"]] == [ids[0]] and rest["has_more"] is False


async def test_unknown_batches_and_files_are_404(http) -> None:
    assert (await http.get("/openai/v1/batches/batch_nope")).status_code == 404
    r = await http.post("/openai/v1/batches", json={"input_file_id": "file-nope", "endpoint": "/v1/chat/completions"})
    assert r.status_code == 404
