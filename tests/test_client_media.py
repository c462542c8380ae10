"""The media client: task-result parsing with Novita's type quirks, sync answers, models, no blind retries."""

from __future__ import annotations

import json

import httpx
import pytest

from novita_mcp.client import (
    MalformedResponseError,
    NovitaClient,
    RetryPolicy,
    ServerError,
)
from novita_mcp.client.media import FluxRequest

pytestmark = pytest.mark.anyio


def _client(handler) -> NovitaClient:
    return NovitaClient(api_key="sk_test", base_url="https://api.novita.ai", transport=httpx.MockTransport(handler),
                        retry=RetryPolicy(3, sleep=_no_sleep))


async def _no_sleep(seconds: float) -> None:
    return None


async def test_task_result_accepts_ttl_as_int_or_string_and_keeps_progress() -> None:
    body = {"extra": {"seed": "1"}, "task": {"task_id": "t1", "task_type": "TXT_TO_IMG",
                                             "status": "TASK_STATUS_SUCCEED", "reason": "", "eta": 0,
                                             "progress_percent": 100},
            "images": [{"image_url": "https://x/a.png", "image_url_ttl": "3600", "image_type": "png"},
                       {"image_url": "https://x/b.png", "image_url_ttl": 604800, "image_type": "png"},
                       {"image_url": "https://x/c.png", "image_url_ttl": "0", "image_type": "jpeg",
                        "nsfw_detection_result": {"valid": True, "confidence": 0.9}}],
            "videos": [], "audios": []}
    async with _client(lambda r: httpx.Response(200, json=body)) as client:
        result = await client.media.task_result("t1")
    assert [i.image_url_ttl for i in result.images] == [3600, 604800, 0]
    assert result.finished and result.succeeded and result.task.task_type == "TXT_TO_IMG"


async def test_an_in_flight_task_without_arrays_parses() -> None:
    body = {"task": {"task_id": "t2", "status": "TASK_STATUS_PROCESSING", "eta": 12.5, "progress_percent": 40}}
    async with _client(lambda r: httpx.Response(200, json=body)) as client:
        result = await client.media.task_result("t2")
    assert not result.finished and result.task.eta == 12.5 and result.images == []


async def test_submit_reads_the_task_id_or_the_legacy_wrapper_and_never_retries() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith("legacy"):
            return httpx.Response(200, json={"code": 0, "msg": "", "data": {"task_id": "old"}})
        if request.url.path.endswith("busy"):
            return httpx.Response(503, json={"code": 503, "reason": "SERVICE_UNAVAILABLE", "message": "busy"})
        return httpx.Response(200, json={"task_id": "new"})

    async with _client(handler) as client:
        assert await client.media.submit("/v3/async/txt2img", {}) == "new"
        assert await client.media.submit("/v3/async/legacy", {}) == "old"
        with pytest.raises(ServerError):
            await client.media.submit("/v3/async/busy", {})
    assert calls.count("/v3/async/busy") == 1


async def test_submit_without_a_task_id_is_a_malformed_response() -> None:
    async with _client(lambda r: httpx.Response(200, json={})) as client:
        with pytest.raises(MalformedResponseError):
            await client.media.submit("/v3/async/txt2img", {})


async def test_flux_request_leaves_unset_fields_out() -> None:
    sent: dict = {}

    def handler(request: httpx.Request) -> httpx.Response:
        sent.update(json.loads(request.content))
        return httpx.Response(200, json={"images": [{"image_url": "u", "image_url_ttl": 604800}], "task": {}})

    async with _client(handler) as client:
        result = await client.media.flux_schnell(FluxRequest(prompt="p", seed=1, steps=4, width=64, height=64,
                                                             image_num=1))
    assert "response_image_format" not in sent and result.images[0].image_url_ttl == 604800


async def test_speech_unwraps_the_minimax_envelope() -> None:
    body = {"data": {"audio": "https://x/s.mp3", "status": 2}, "base_resp": {"status_code": 0, "status_msg": "ok"}}
    async with _client(lambda r: httpx.Response(200, json=body)) as client:
        answer = await client.media.speech("minimax-speech-2.8-hd", {})
    assert answer.audio == "https://x/s.mp3" and answer.status == 2


async def test_models_send_the_dotted_query_names() -> None:
    seen: list[httpx.QueryParams] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params)
        return httpx.Response(200, json={"models": [{"id": 1, "sd_name": "a", "type": {"name": "lora"}}],
                                         "pagination": {"next_cursor": "c_1"}})

    async with _client(handler) as client:
        page = await client.media.models(types="lora", is_sdxl=False, limit=1)
    assert seen[0]["filter.types"] == "lora" and seen[0]["filter.is_sdxl"] == "false"
    assert seen[0]["pagination.limit"] == "1" and page.next_cursor == "c_1" and page.models[0].kind == "lora"
