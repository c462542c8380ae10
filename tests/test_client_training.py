"""client.training: uploads (key only to Novita's origins), tasks and the list."""

from __future__ import annotations

import httpx
import pytest

from novita_mcp.client import BadRequestError, NovitaClient
from novita_mcp.client.training import UploadTicket

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


async def test_an_upload_to_a_presigned_url_elsewhere_carries_no_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    async with NovitaClient(api_key="sk_secret", transport=httpx.MockTransport(handler)) as client:
        ticket = UploadTicket(assets_id="a1", upload_url="https://bucket.s3.example/a1?X-Amz-Signature=s")
        await client.training.upload(ticket, PNG, content_type="image/png")
    (request,) = seen
    assert request.method == "PUT" and request.content == PNG
    assert "authorization" not in request.headers and request.headers["content-type"] == "image/png"


async def test_a_failed_upload_raises_the_mapped_error(sandbox) -> None:
    async with NovitaClient(api_key=sandbox.api_key, base_url=sandbox.base_url, transport=sandbox.transport()) as client:
        ticket = await client.training.request_upload("png")
        with pytest.raises(BadRequestError, match="not a png"):
            await client.training.upload(ticket, b"GIF89a", content_type="image/gif")


async def test_a_full_round_trip_against_the_sandbox(sandbox) -> None:
    async with NovitaClient(api_key=sandbox.api_key, base_url=sandbox.base_url, transport=sandbox.transport()) as client:
        ticket = await client.training.request_upload("png")
        await client.training.upload(ticket, PNG, content_type="image/png")
        task_id = await client.training.create("style", {
            "name": "wc", "base_model": "v1-5-pruned-emaonly", "width": 512, "height": 512,
            "image_dataset_items": [{"assets_id": ticket.assets_id}], "expert_setting": {"max_train_steps": 100}})
        sandbox.advance(3600)
        task = await client.training.get("style", task_id)
        tasks, cursor = await client.training.list(limit=5)
    assert (task.task_status, task.task_type, task.progress) == ("SUCCESS", "style", 100)
    assert task.models[0].model_status == "SERVING"
    assert [t.task_id for t in tasks] == [task_id] and cursor == ""


async def test_progress_and_time_left_are_read_from_extra_where_the_docs_put_them() -> None:
    # The documented result of GET /v3/training/subject: progress lives in ``extra``.
    documented = {"task_id": "t1", "task_status": "TRAINING", "model_type": "lora", "models": [],
                  "extra": {"progress_percent": 40, "eta_relative": 300}}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=documented)

    async with NovitaClient(api_key="sk_secret", transport=httpx.MockTransport(handler)) as client:
        task = await client.training.get("subject", "t1")
    assert (task.task_status, task.progress, task.eta) == ("TRAINING", 40, 300)
