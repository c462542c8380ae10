"""The async task machine: statuses on the sandbox clock, progress, failure, charges, webhooks."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

pytestmark = pytest.mark.anyio

TXT2IMG = {"model_name": "sd_xl_base_1.0.safetensors", "prompt": "a cat", "width": 512, "height": 512,
           "image_num": 1, "steps": 20, "guidance_scale": 7.5, "sampler_name": "Euler a"}


def _http(sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(),
                             headers={"Authorization": f"Bearer {sandbox.api_key}"})


async def _result(http: httpx.AsyncClient, task_id: str) -> dict:
    response = await http.get("/v3/async/task-result", params={"task_id": task_id})
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_task_goes_queued_processing_succeed_with_progress_and_eta_from_the_clock(sandbox) -> None:
    async with _http(sandbox) as http:
        task_id = (await http.post("/v3/async/txt2img", json={"request": TXT2IMG})).json()["task_id"]
        seen = []
        for step in (0, 2, 2, 2):
            sandbox.advance(step)
            seen.append((await _result(http, task_id))["task"])
    assert [t["status"] for t in seen] == ["TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING", "TASK_STATUS_PROCESSING",
                                           "TASK_STATUS_SUCCEED"]
    assert [t["progress_percent"] for t in seen] == [0, 20, 60, 100]
    assert [t["eta"] for t in seen] == [6, 4, 2, 0]
    assert seen[0]["task_type"] == "TXT_TO_IMG" and seen[-1]["reason"] == ""


async def test_the_result_always_has_the_three_arrays_extra_seed_and_debug_times(sandbox) -> None:
    async with _http(sandbox) as http:
        task_id = (await http.post("/v3/async/txt2img", json={"request": {**TXT2IMG, "seed": 42}})).json()["task_id"]
        running = await _result(http, task_id)
        sandbox.advance(10)
        done = await _result(http, task_id)
    assert running["images"] == running["videos"] == running["audios"] == []
    assert done["extra"]["seed"] == "42" and done["extra"]["enable_nsfw_detection"] is False
    debug = done["extra"]["debug_info"]
    assert int(debug["submit_time_ms"]) < int(debug["execute_time_ms"]) < int(debug["complete_time_ms"])
    image = done["images"][0]
    assert image["image_url_ttl"] == "3600" and image["image_type"] == "png" and image["nsfw_detection_result"] is None


async def test_the_failure_switch_ends_in_failed_with_a_reason_and_no_charge(sandbox) -> None:
    charges = len(sandbox.state.charges)
    async with _http(sandbox) as http:
        task_id = (await http.post("/v3/async/txt2img", json={"request": {**TXT2IMG, "prompt": "x [fail]"}})).json()[
            "task_id"]
        sandbox.advance(60)
        body = await _result(http, task_id)
    assert body["task"]["status"] == "TASK_STATUS_FAILED" and "[fail]" in body["task"]["reason"]
    assert body["images"] == [] and len(sandbox.state.charges) == charges


async def test_a_task_is_charged_as_gen_api_when_it_succeeds(sandbox) -> None:
    charges = len(sandbox.state.charges)
    async with _http(sandbox) as http:
        created = await http.post("/v3/async/txt2img", json={"request": {**TXT2IMG, "image_num": 3}})
        task_id = created.json()["task_id"]
        assert len(sandbox.state.charges) == charges
        sandbox.advance(60)
        await _result(http, task_id)
    charge = sandbox.state.charges[-1]
    assert (charge.category, charge.product_name, charge.owner_id) == ("gen_api", "txt2img", task_id)
    assert charge.amount_units == Decimal("105") and charge.bill_num0 == 3


async def test_unknown_task_is_404_task_not_found_and_missing_id_is_400(sandbox) -> None:
    async with _http(sandbox) as http:
        unknown = await http.get("/v3/async/task-result", params={"task_id": "nope"})
        missing = await http.get("/v3/async/task-result")
    assert (unknown.status_code, unknown.json()["reason"]) == (404, "TASK_NOT_FOUND")
    assert (missing.status_code, missing.json()["reason"]) == (400, "INVALID_REQUEST_BODY")


async def test_webhooks_are_recorded_on_completion_and_test_mode_sends_a_mock_at_once(sandbox) -> None:
    extra = {"webhook": {"url": "https://hooks.example/novita",
                         "test_mode": {"enabled": True, "return_task_status": "TASK_STATUS_FAILED"}}}
    async with _http(sandbox) as http:
        task_id = (await http.post("/v3/async/txt2img", json={"extra": extra, "request": TXT2IMG})).json()["task_id"]
        hooks = sandbox.domain("media").webhooks
        assert len(hooks) == 1 and hooks[0]["test_mode"]
        assert hooks[0]["body"]["payload"]["task"]["status"] == "TASK_STATUS_FAILED"
        sandbox.advance(30)
        final = await _result(http, task_id)
    assert len(hooks) == 2 and hooks[1]["url"] == "https://hooks.example/novita"
    assert hooks[1]["body"] == {"event_type": "ASYNC_TASK_RESULT", "payload": final}


async def test_an_empty_balance_refuses_the_task_with_the_media_balance_reason(sandbox) -> None:
    sandbox.state.balance_units = Decimal(0)
    async with _http(sandbox) as http:
        response = await http.post("/v3/async/txt2img", json={"request": TXT2IMG})
    assert (response.status_code, response.json()["reason"]) == (400, "BILLING_BALANCE_NOT_ENOUGH")
    assert sandbox.domain("media").tasks.tasks == {}
