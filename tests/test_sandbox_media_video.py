"""Video endpoints: each family's documented body, its task, its MP4 and its charge."""

from __future__ import annotations

import base64
from decimal import Decimal

import httpx
import pytest

from novita_mcp.client.media_formats import sniff
from novita_mcp.sandbox.media_encode import png

pytestmark = pytest.mark.anyio

IMAGE = "data:image/png;base64," + base64.b64encode(png(640, 360)).decode()


def _http(sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(),
                             headers={"Authorization": f"Bearer {sandbox.api_key}"})


@pytest.mark.parametrize(("path", "body", "task_type", "units"), [
    ("kling-v2.1-t2v-master", {"prompt": "fox", "duration": "10", "aspect_ratio": "9:16"}, "KLING_V2_1_T2V_MASTER",
     28_000),
    ("kling-v2.1-i2v", {"image": IMAGE, "prompt": "fox", "mode": "Professional"}, "KLING_V2_1_I2V", 4_900),
    ("kling-v1.6-t2v", {"prompt": "fox", "mode": "Standard"}, "KLING_V1_6_T2V", 2_800),
    ("kling-o1-t2v", {"prompt": "fox", "duration": 5}, "KLING_O1_T2V", 5_000),
    ("minimax-hailuo-02", {"prompt": "fox", "duration": 10}, "MINIMAX_HAILUO_02", 4_500),
    ("minimax-video-01", {"prompt": "fox"}, "MINIMAX_VIDEO_01", 4_300),
    ("minimax-hailuo-2.3-fast-i2v", {"prompt": "fox", "image": IMAGE}, "MINIMAX_HAILUO_2_3_FAST_I2V", 1_920),
    ("wan-t2v", {"model_name": "wan2.1-t2v", "width": 832, "height": 480, "prompt": "fox"}, "WAN_T2V", 3_000),
    ("wan-2.2-t2v", {"input": {"prompt": "fox"}, "parameters": {"size": "832*480"}}, "WAN_2_2_T2V", 4_000),
    ("wan-2.5-t2v-preview", {"input": {"prompt": "fox"}, "parameters": {"size": "624*624", "duration": 10}},
     "WAN_2_5_T2V_PREVIEW", 10_000),
    ("wan-2.5-i2v-preview", {"input": {"prompt": "fox", "img_url": IMAGE}}, "WAN_2_5_I2V_PREVIEW", 5_000),
    ("vidu-q1-text2video", {"prompt": "fox", "aspect_ratio": "1:1"}, "VIDU_Q1_TEXT2VIDEO", 4_000),
    ("vidu-q1-reference2video", {"prompt": "fox", "images": [IMAGE]}, "VIDU_Q1_REFERENCE2VIDEO", 4_000),
    ("hunyuan-video-fast", {"model_name": "hunyuan-video-fast", "width": 720, "height": 1280, "prompt": "fox",
                            "frames": 48}, "HUNYUAN_VIDEO_FAST", 4_000),
    ("txt2video", {"model_name": "darkSushiMixMix_225D_64380.safetensors", "width": 512, "height": 256, "steps": 20,
                   "prompts": [{"frames": 16, "prompt": "fox"}]}, "TXT_TO_VIDEO", 800),
    ("img2video", {"model_name": "SVD-XT", "image_file": IMAGE.split(",")[1], "frames_num": 25, "steps": 20},
     "IMG_TO_VIDEO", 1_000),
])
async def test_every_video_endpoint_makes_a_task_an_mp4_and_a_charge(sandbox, path, body, task_type, units) -> None:
    charges = len(sandbox.state.charges)
    async with _http(sandbox) as http:
        created = await http.post(f"/v3/async/{path}", json=body)
        assert created.status_code == 200, created.text
        task_id = created.json()["task_id"]
        sandbox.advance(3)
        queued = (await http.get("/v3/async/task-result", params={"task_id": task_id})).json()
        sandbox.advance(200)
        done = (await http.get("/v3/async/task-result", params={"task_id": task_id})).json()
        video = await http.get(done["videos"][0]["video_url"])
    assert queued["task"]["status"] == "TASK_STATUS_QUEUED" and queued["task"]["eta"] > 30
    assert done["task"] == {**done["task"], "status": "TASK_STATUS_SUCCEED", "task_type": task_type}
    assert done["videos"][0]["video_type"] == "mp4" and done["videos"][0]["video_url_ttl"] == "3600"
    assert video.headers["content-type"] == "video/mp4" and sniff(video.content).format == "mp4"
    assert [c.amount_units for c in sandbox.state.charges[charges:]] == [Decimal(units)]


@pytest.mark.parametrize(("path", "body", "fragment"), [
    ("kling-v2.1-t2v-master", {"prompt": "fox", "duration": 5}, "duration must be a string"),
    ("kling-v2.1-t2v-master", {"prompt": "x" * 2501}, "prompt must be 1-2500"),
    ("kling-v2.1-i2v-master", {"prompt": "fox"}, "image is required"),
    ("minimax-hailuo-02", {"prompt": "fox", "duration": 10, "resolution": "1080P"}, "1080P is only available"),
    ("wan-t2v", {"model_name": "wan2.1-t2v", "width": 832, "height": 832, "prompt": "fox"}, "height must be one of"),
    ("wan-2.5-t2v-preview", {"input": {"prompt": "fox"}, "parameters": {"duration": 7}}, "duration must be one of"),
    ("vidu-q1-text2video", {"prompt": "fox", "duration": 8}, "duration must be one of 5"),
    ("hunyuan-video-fast", {"model_name": "hunyuan-video-fast", "width": 1280, "height": 1280, "prompt": "f"},
     "height must be one of 720"),
    ("txt2video", {"model_name": "darkSushiMixMix_225D_64380.safetensors", "width": 512, "height": 512, "steps": 20,
                   "prompts": [{"frames": 64, "prompt": "a"}] * 3}, "at most 128"),
    ("img2video", {"model_name": "SVD", "image_file": IMAGE.split(",")[1], "frames_num": 25, "steps": 20},
     "frames_num must be one of 14"),
])
async def test_video_bodies_outside_the_docs_are_refused(sandbox, path, body, fragment) -> None:
    async with _http(sandbox) as http:
        response = await http.post(f"/v3/async/{path}", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["reason"] == "INVALID_REQUEST_BODY" and fragment in response.json()["message"]


async def test_kling_refuses_a_first_frame_below_300_pixels(sandbox) -> None:
    small = base64.b64encode(png(200, 200)).decode()
    async with _http(sandbox) as http:
        response = await http.post("/v3/async/kling-v2.1-i2v-master", json={"image": small, "prompt": "fox"})
    assert (response.status_code, response.json()["reason"]) == (400, "INVALID_IMAGE_SIZE")


async def test_txt2video_can_answer_a_gif(sandbox) -> None:
    body = {"extra": {"response_video_type": "gif"}, "model_name": "darkSushiMixMix_225D_64380.safetensors",
            "width": 256, "height": 256, "steps": 10, "prompts": [{"frames": 8, "prompt": "spin"}]}
    async with _http(sandbox) as http:
        task_id = (await http.post("/v3/async/txt2video", json=body)).json()["task_id"]
        sandbox.advance(100)
        done = (await http.get("/v3/async/task-result", params={"task_id": task_id})).json()
        data = (await http.get(done["videos"][0]["video_url"])).content
    assert done["videos"][0]["video_type"] == "gif" and sniff(data).format == "gif"


async def test_wan_audio_must_be_wav_or_mp3(sandbox) -> None:
    body = {"input": {"prompt": "fox", "audio_url": "data:audio/ogg;base64," + base64.b64encode(b"OggS" + b"\0" * 60)
                      .decode()}}
    async with _http(sandbox) as http:
        response = await http.post("/v3/async/wan-2.5-t2v-preview", json=body)
    assert (response.status_code, response.json()["reason"]) == (400, "INVALID_AUDIO_FILE")
