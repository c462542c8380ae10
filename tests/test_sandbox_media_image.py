"""Image endpoints: documented fields and ranges, real files, the extra options, prices."""

from __future__ import annotations

import base64
from decimal import Decimal

import httpx
import pytest

from novita_mcp.client.media_formats import sniff
from novita_mcp.sandbox.media_encode import jpeg, png

pytestmark = pytest.mark.anyio

TXT2IMG = {"model_name": "sd_xl_base_1.0.safetensors", "prompt": "a cat", "width": 512, "height": 384,
           "image_num": 1, "steps": 20, "guidance_scale": 7.5, "sampler_name": "Euler a"}
FLUX = {"prompt": "a cat", "seed": 7, "steps": 4, "width": 512, "height": 512, "image_num": 1}


def _http(sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(),
                             headers={"Authorization": f"Bearer {sandbox.api_key}"})


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def _finish(http: httpx.AsyncClient, sandbox, response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    sandbox.advance(120)
    return (await http.get("/v3/async/task-result", params={"task_id": response.json()["task_id"]})).json()


async def _file(http: httpx.AsyncClient, url: str) -> bytes:
    response = await http.get(url, headers={"Authorization": ""})
    assert response.status_code == 200
    return response.content


async def test_txt2img_writes_real_files_of_the_requested_size_and_type(sandbox) -> None:
    async with _http(sandbox) as http:
        done = await _finish(http, sandbox, await http.post("/v3/async/txt2img", json={
            "extra": {"response_image_type": "webp"}, "request": {**TXT2IMG, "image_num": 2}}))
        files = [await _file(http, i["image_url"]) for i in done["images"]]
    assert [(sniff(f).format, sniff(f).width, sniff(f).height) for f in files] == [("webp", 512, 384)] * 2


@pytest.mark.parametrize(("change", "fragment"), [
    ({"width": 100}, "width must be between 128 and 2048"),
    ({"image_num": 9}, "image_num must be between 1 and 8"),
    ({"sampler_name": "Fast"}, "sampler_name must be one of"),
    ({"prompt": ""}, "prompt must be 1-1024"),
    ({"model_name": "nope.safetensors"}, "not a checkpoint"),
    ({"guidance_scale": 31}, "guidance_scale"),
    ({"loras": [{"model_name": "a", "strength": 2}]}, "strength"),
])
async def test_txt2img_refuses_values_outside_the_documented_ranges(sandbox, change, fragment) -> None:
    async with _http(sandbox) as http:
        response = await http.post("/v3/async/txt2img", json={"request": {**TXT2IMG, **change}})
    assert response.status_code == 400
    assert response.json()["reason"] == "INVALID_REQUEST_BODY" and fragment in response.json()["message"]


async def test_extra_options_are_validated_and_nsfw_adds_its_surcharge(sandbox) -> None:
    async with _http(sandbox) as http:
        wrong = await http.post("/v3/async/txt2img", json={"extra": {"response_image_type": "gif"}, "request": TXT2IMG})
        charges = len(sandbox.state.charges)
        done = await _finish(http, sandbox, await http.post("/v3/async/txt2img", json={
            "extra": {"enable_nsfw_detection": True, "nsfw_detection_level": 2},
            "request": {**TXT2IMG, "image_num": 2}}))
    assert wrong.status_code == 400 and "response_image_type" in wrong.json()["message"]
    assert sandbox.state.charges[charges].amount_units == Decimal(35 * 2 + 15 * 2)
    assert done["extra"]["enable_nsfw_detection"] is True
    assert done["images"][0]["nsfw_detection_result"] == {"valid": True, "confidence": 0.98}


async def test_enterprise_plan_without_a_subscription_is_ignored_and_with_one_is_not_charged_per_call(sandbox) -> None:
    # The dedicated-endpoints guide's own example sends enabled: true; the docs say the flag
    # "only takes effect for users who have already subscribed".
    body = {"extra": {"enterprise_plan": {"enabled": True}}, "request": TXT2IMG}
    async with _http(sandbox) as http:
        before = len(sandbox.state.charges)
        plain = await _finish(http, sandbox, await http.post("/v3/async/txt2img", json=body))
        charged = len(sandbox.state.charges) - before
        sandbox.domain("media").enterprise_plan_active = True
        await _finish(http, sandbox, await http.post("/v3/async/txt2img", json=body))
    assert plain["task"]["status"] == "TASK_STATUS_SUCCEED" and charged == 1
    assert len(sandbox.state.charges) == before + 1


async def test_img2img_and_inpainting_check_their_images(sandbox) -> None:
    image = b64(png(256, 256))
    async with _http(sandbox) as http:
        ok = await http.post("/v3/async/img2img", json={"request": {**TXT2IMG, "image_base64": image, "strength": 0.4}})
        gif = await http.post("/v3/async/img2img", json={"request": {**TXT2IMG,
                                                                     "image_base64": b64(b"GIF89a" + b"\0" * 20)}})
        big = await http.post("/v3/async/img2img", json={"request": {**TXT2IMG,
                                                                     "image_base64": b64(b"\0" * (10 * 2**20 + 1))}})
        mismatch = await http.post("/v3/async/inpainting", json={"request": {
            **TXT2IMG, "model_name": "dreamshaper_8Inpainting_93208.safetensors", "seed": 1, "image_base64": image,
            "mask_image_base64": b64(png(128, 128))}})
        not_inpaint = await http.post("/v3/async/inpainting", json={"request": {
            **TXT2IMG, "seed": 1, "image_base64": image, "mask_image_base64": image}})
    assert ok.status_code == 200
    assert gif.json()["reason"] == "INVALID_IMAGE_FORMAT"
    assert big.json()["reason"] == "IMAGE_FILE_EXCEEDS_MAX_SIZE"
    assert mismatch.json()["reason"] == "INVALID_IMAGE_SIZE"
    assert "inpainting checkpoint" in not_inpaint.json()["message"]


async def test_upscale_multiplies_the_size_and_refuses_inputs_over_2048(sandbox) -> None:
    async with _http(sandbox) as http:
        done = await _finish(http, sandbox, await http.post("/v3/async/upscale", json={"request": {
            "model_name": "4x-UltraSharp", "image_base64": b64(jpeg(200, 100)), "scale_factor": 3}}))
        data = await _file(http, done["images"][0]["image_url"])
        wide = await http.post("/v3/async/upscale", json={"request": {
            "model_name": "4x-UltraSharp", "image_base64": b64(png(2049, 10)), "scale_factor": 2}})
        factor = await http.post("/v3/async/upscale", json={"request": {
            "model_name": "4x-UltraSharp", "image_base64": b64(png(20, 10)), "scale_factor": 1}})
    assert (sniff(data).width, sniff(data).height) == (600, 300) and done["task"]["task_type"] == "UPSCALE"
    assert wide.json()["reason"] == "IMAGE_EXCEEDS_MAX_RESOLUTION"
    assert factor.status_code == 400 and "scale_factor" in factor.json()["message"]


async def test_sync_utilities_answer_base64_images(sandbox) -> None:
    image = b64(png(96, 64))
    async with _http(sandbox) as http:
        removed = await http.post("/v3/remove-background", json={"image_file": image})
        replaced = await http.post("/v3/replace-background", json={"image_file": image, "prompt": "beach",
                                                                    "extra": {"response_image_type": "jpeg"}})
        no_prompt = await http.post("/v3/replace-background", json={"image_file": image})
        cleaned = await http.post("/v3/cleanup", json={"image_file": image, "mask_file": image})
        queued = await http.post("/v3/async/image-remove-background", json={"image": "https://example.com/a.png"})
    for response, fmt in ((removed, "png"), (replaced, "jpeg"), (cleaned, "png")):
        data = base64.b64decode(response.json()["image_file"])
        assert response.json()["image_type"] == fmt and (sniff(data).format, sniff(data).width) == (fmt, 96)
    assert no_prompt.status_code == 400 and "prompt is required" in no_prompt.json()["message"]
    assert queued.status_code == 200 and "task_id" in queued.json()


async def test_flux_is_synchronous_and_charged_by_size_steps_and_count(sandbox) -> None:
    charges = len(sandbox.state.charges)
    async with _http(sandbox) as http:
        response = await http.post("/v3beta/flux-1-schnell", json={**FLUX, "width": 1024, "height": 1024,
                                                                   "image_num": 3, "response_image_format": "jpeg"})
        too_wide = await http.post("/v3beta/flux-1-schnell", json={**FLUX, "width": 4096})
        failed = await http.post("/v3beta/flux-1-schnell", json={**FLUX, "prompt": "[fail]"})
    body = response.json()
    assert [i["image_url_ttl"] for i in body["images"]] == [604800] * 3 and body["task"]["task_id"]
    assert sandbox.state.charges[charges].amount_units == Decimal(90)  # 3 x $0.003
    assert too_wide.status_code == 400 and (failed.status_code, failed.json()["reason"]) == (500, "TASK_FAILED")
    assert len(sandbox.state.charges) == charges + 1


async def test_seedream_and_qwen_follow_their_documented_sizes(sandbox) -> None:
    async with _http(sandbox) as http:
        v3 = await http.post("/v3/seedream-3-0-txt2img", json={"prompt": "p", "size": "864x1152"})
        v3_b64 = await http.post("/v3/seedream-3-0-txt2img", json={"prompt": "p", "response_format": "b64_json"})
        v4 = await http.post("/v3/seedream-4.0", json={"prompt": "p", "size": "1K",
                                                       "sequential_image_generation": "auto", "max_images": 3})
        v45 = await http.post("/v3/seedream-4.5", json={"prompt": "p", "size": "2048x1024"})
        qwen_bad = await http.post("/v3/async/qwen-image-txt2img", json={"prompt": "p", "size": "1024x1024"})
        qwen = await _finish(http, sandbox, await http.post("/v3/async/qwen-image-txt2img",
                                                            json={"prompt": "p", "size": "768*512"}))
        sizes = [sniff(await _file(http, u)) for u in (v3.json()["image_urls"][0], v45.json()["images"][0],
                                                       qwen["images"][0]["image_url"])]
    assert [(s.width, s.height) for s in sizes] == [(864, 1152), (2048, 1024), (768, 512)]
    assert len(v3_b64.json()["binary_data_base64"]) == 1 and len(v4.json()["images"]) == 3
    assert qwen_bad.status_code == 400 and qwen["task"]["task_type"] == "QWEN_IMAGE_TEXT_TO_IMAGE"


async def test_an_illegal_prompt_is_refused_at_once(sandbox) -> None:
    async with _http(sandbox) as http:
        response = await http.post("/v3beta/flux-1-schnell", json={**FLUX, "prompt": "[illegal] thing"})
    assert (response.status_code, response.json()["reason"]) == (400, "ILLEGAL_PROMPT")


async def test_custom_storage_is_optional_and_a_given_bucket_needs_region_bucket_and_path(sandbox) -> None:
    # The official SDK sends custom_storage: {} on every v3 call.
    async with _http(sandbox) as http:
        empty = await http.post("/v3/async/txt2img", json={"extra": {"custom_storage": {}}, "request": TXT2IMG})
        partial = await http.post("/v3/async/txt2img", json={
            "extra": {"custom_storage": {"aws_s3": {"region": "us-east-1"}}}, "request": TXT2IMG})
    assert empty.status_code == 200
    assert partial.status_code == 400 and "aws_s3.bucket" in partial.json()["message"]
