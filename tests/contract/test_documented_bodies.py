"""The request bodies of Novita's documentation pages, verbatim, sent to the sandbox over HTTP.

Each body below is copied from the page named beside it (the local copies are in the shared
``novita-api/docs`` folder; docs/coverage.md maps every page to its tool). Only what cannot
be verbatim is replaced, and says so: ids the sandbox itself issued (uploaded assets). The
answers are checked for the fields the page documents, with their types.
"""

from __future__ import annotations

from typing import Any

import pytest

from ._served import contract_sandbox, served

pytestmark = pytest.mark.anyio


@pytest.fixture
def sandbox():  # noqa: ANN201 - overrides the shared fixture with a contract key
    return contract_sandbox()


def fields(obj: dict[str, Any], spec: dict[str, type | tuple[type, ...]]) -> None:
    """Every documented field is present with its documented type."""
    for name, kind in spec.items():
        assert name in obj, f"documented field {name!r} is missing from {sorted(obj)}"
        assert isinstance(obj[name], kind), f"{name!r} is {type(obj[name]).__name__}, documented {kind}"


async def finished_task(http: Any, sandbox: Any, task_id: str) -> dict[str, Any]:
    sandbox.advance(3600)
    result = await http.get("/v3/async/task-result", params={"task_id": task_id})
    assert result.status_code == 200, result.text
    body = result.json()
    fields(body["task"], {"task_id": str, "status": str, "reason": str})
    assert body["task"]["status"] == "TASK_STATUS_SUCCEED", body["task"]
    return body


# model-apis-dedicated-endpoints guide, "Make a request with Dedicated Endpoints resources"
DEDICATED_GUIDE_TXT2IMG = {
    "extra": {"response_image_type": "jpeg", "enterprise_plan": {"enabled": True}},
    "request": {
        "model_name": "sdxlUnstableDiffusers_v11_216694.safetensors",
        "prompt": "Luxury suite design, Spacious suite area, Luxuriously plush large bed, Refined office desk",
        "negative_prompt": "(badhandv4:1.2),(worst quality:2),(low quality:2),(normal quality:2),lowres",
        "width": 512, "height": 512, "image_num": 1, "steps": 20, "seed": 123, "clip_skip": 1,
        "guidance_scale": 7.5, "sampler_name": "Euler a",
    },
}

# model-apis-create-subject-training, "Use the generated models to create images"
TRAINING_PAGE_TXT2IMG = {
    "extra": {"response_image_type": "jpeg"},
    "request": {
        "model_name": "realisticVisionV51_v51VAE_94301.safetensors", "prompt": "a young woman",
        "negative_prompt": "bottle, bad face", "sd_vae": "",
        "loras": [{"model_name": "model_1698904832_F2BB461625.safetensors", "strength": 0.7}],
        "embeddings": [{"model_name": ""}],
        "hires_fix": {"target_width": 1024, "target_height": 768, "strength": 0.5},
        "refiner": {"switch_at": None},
        "width": 512, "height": 384, "image_num": 2, "steps": 20, "seed": 123, "clip_skip": 1,
        "guidance_scale": 7.5, "sampler_name": "Euler a",
    },
}


@pytest.mark.parametrize("body", [DEDICATED_GUIDE_TXT2IMG, TRAINING_PAGE_TXT2IMG], ids=["dedicated-guide",
                                                                                      "training-page"])
async def test_the_documented_txt2img_bodies_are_accepted_and_make_images(sandbox, body) -> None:
    async with served(sandbox) as http:
        submitted = await http.post("/v3/async/txt2img", json=body)
        assert submitted.status_code == 200, submitted.text
        done = await finished_task(http, sandbox, submitted.json()["task_id"])
    assert len(done["images"]) == body["request"]["image_num"]
    for image in done["images"]:
        fields(image, {"image_url": str, "image_url_ttl": (int, str), "image_type": str})
        assert image["image_type"] == "jpeg"


async def test_the_get_model_example_query_answers_the_documented_fields(sandbox) -> None:
    async with served(sandbox) as http:
        r = await http.get("/v3/model?filter.visibility=public&pagination.limit=2&pagination.cursor=c_0")
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["models"]) == 2 and isinstance(body["pagination"]["next_cursor"], str)
    for model in body["models"]:
        fields(model, {"id": int, "name": str, "hash_sha256": str, "sd_name": str, "type": dict, "categories": list,
                       "status": int, "tags": list, "cover_url": str, "base_model": str, "base_model_type": str,
                       "download_url_ttl": int, "sd_name_in_api": str, "is_sdxl": bool})
        fields(model["type"], {"name": str, "display_name": str})
        assert model["base_model_type"] in ("Standard", "Inpainting"), model["base_model_type"]


async def test_inpainting_checkpoints_say_inpainting_as_their_base_model_type(sandbox) -> None:
    async with served(sandbox) as http:
        r = await http.get("/v3/model", params={"filter.is_inpainting": "true", "pagination.limit": 50})
    assert {m["base_model_type"] for m in r.json()["models"]} == {"Inpainting"}


async def test_the_flux_example_answers_the_documented_shape(sandbox) -> None:
    # model-apis-flux-1-schnell, "Example request"
    body = {"prompt": "Extreme close-up of a single tiger eye, direct frontal view.", "width": 512, "height": 512,
            "seed": 2024, "steps": 4, "image_num": 1}
    async with served(sandbox) as http:
        r = await http.post("/v3beta/flux-1-schnell", json=body)
    assert r.status_code == 200, r.text
    (image,) = r.json()["images"]
    fields(image, {"image_url": str, "image_url_ttl": int, "image_type": str})
    assert image["image_type"] == "png" and isinstance(r.json()["task"]["task_id"], str)


async def test_the_hunyuan_example_makes_a_video_of_the_documented_type(sandbox) -> None:
    # model-apis-hunyuan-video-fast, "Example"
    body = {"model_name": "hunyuan-video-fast", "height": 720, "width": 1280, "seed": -1, "steps": 30,
            "prompt": "A close up view of a glass sphere that has a zen garden within it.", "frames": 85}
    async with served(sandbox) as http:
        r = await http.post("/v3/async/hunyuan-video-fast", json=body)
        assert r.status_code == 200, r.text
        done = await finished_task(http, sandbox, r.json()["task_id"])
    assert done["task"]["task_type"] == "HUNYUAN_VIDEO_FAST"
    fields(done["task"], {"eta": int, "progress_percent": int})
    (video,) = done["videos"]
    fields(video, {"video_url": str, "video_url_ttl": (str, int), "video_type": str})
    assert video["video_type"] == "mp4"


async def test_the_cleanup_example_answers_base64_and_its_type(sandbox) -> None:
    # model-apis-cleanup: {"image_file": <base64>, "mask_file": <base64>} -> {image_file, image_type}
    import base64
    import io

    from PIL import Image

    def b64(colour: tuple[int, int, int]) -> str:
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
        return base64.b64encode(buffer.getvalue()).decode()

    async with served(sandbox) as http:
        r = await http.post("/v3/cleanup", json={"image_file": b64((10, 20, 30)), "mask_file": b64((255, 255, 255))})
    assert r.status_code == 200, r.text
    fields(r.json(), {"image_file": str, "image_type": str})
    assert r.json()["image_type"] == "png"


async def test_the_account_info_page_answers_credit_balance_as_an_integer(sandbox) -> None:
    # basic-get-user-info: the balance x 10,000
    async with served(sandbox) as http:
        r = await http.get("/v3/user")
    fields(r.json(), {"credit_balance": int})
    assert r.json()["credit_balance"] == int(sandbox.state.balance_units)


async def test_the_training_pages_examples_upload_train_and_report(sandbox) -> None:
    async with served(sandbox) as http:
        # model-apis-get-training-images-url, "Example request"
        ticket = await http.post("/v3/assets/training_dataset", json={"file_extension": "png"})
        fields(ticket.json(), {"assets_id": (str, int), "upload_url": str, "method": str, "headers": dict})
        assert ticket.json()["method"] == "PUT" and ticket.json()["headers"]["Host"]["values"]
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
        put = await http.put(ticket.json()["upload_url"], content=png, headers={"Authorization": "",
                                                                               "Content-Type": "image/png"})
        assert put.status_code == 200
        asset = str(ticket.json()["assets_id"])
        # model-apis-create-subject-training, "Here is a example of how to start training" (asset ids are ours)
        subject = {
            "name": "test_subject_01", "base_model": "v1-5-pruned-emaonly", "width": 512, "height": 512,
            "image_dataset_items": [{"assets_id": asset}, {"assets_id": asset}],
            "expert_setting": {
                "instance_prompt": "Xsubject, of a young woman, profile shot, from side,sitting, looking at viewer",
                "class_prompt": "person"},
            "components": [
                {"name": "face_crop_region", "args": [{"name": "ratio", "value": "1"}]},
                {"name": "resize", "args": [{"name": "width", "value": "512"}, {"name": "height", "value": "512"}]},
                {"name": "face_restore", "args": [{"name": "method", "value": "gfpgan_1.4"},
                                                  {"name": "upscale", "value": "1.0"}]}],
        }
        created = await http.post("/v3/training/subject", json=subject)
        assert created.status_code == 200, created.text
        task_id = created.json()["task_id"]
        sandbox.advance(90)
        running = (await http.get("/v3/training/subject", params={"task_id": task_id})).json()
        sandbox.advance(4 * 3600)
        done = (await http.get("/v3/training/subject", params={"task_id": task_id})).json()
        listed = (await http.get("/v3/training?pagination.limit=10&pagination.cursor=c_0")).json()
    fields(running, {"task_id": str, "task_status": str, "model_type": str, "models": list, "extra": dict})
    fields(running["extra"], {"progress_percent": int, "eta_relative": int})
    assert running["task_status"] == "TRAINING" and 0 < running["extra"]["eta_relative"]
    assert done["task_status"] == "SUCCESS" and done["models"][0]["model_status"] == "SERVING"
    (task,) = listed["tasks"]
    fields(task, {"task_name": str, "task_id": str, "task_type": str, "task_status": str, "created_at": int,
                  "models": list})
    assert (task["task_name"], task["task_type"]) == ("test_subject_01", "subject")


async def test_a_template_created_from_the_documented_body_reads_back_with_the_documented_fields(sandbox) -> None:
    # gpu-instance-create-template, "Example Request"
    body = {"template": {
        "name": "test", "readme": "readme", "type": "instance", "channel": "private", "image": "redis",
        "startCommand": "", "rootfsSize": 10, "localVolumeSize": 20, "localVolumeMount": "/workspace",
        "ports": [{"type": "tcp", "ports": ["8080", "8090"]}, {"type": "http", "ports": ["6000", "60001"]}],
        "volumes": [{"type": "local", "size": 20, "mountPath": "/workspace"}],
        "envs": [{"key": "testkey", "value": "123"}],
    }}
    base = "/gpu-instance/openapi/v1"
    async with served(sandbox) as http:
        created = await http.post(f"{base}/template/create", json=body)
        assert created.status_code == 200, created.text
        template_id = created.json()["templateId"]
        got = (await http.get(f"{base}/template", params={"templateId": template_id})).json()["template"]
    # gpu-instance-get-template, the example response's fields
    fields(got, {"Id": str, "user": str, "name": str, "readme": str, "logo": str, "type": str, "channel": str,
                 "image": str, "imageAuth": str, "startCommand": str, "rootfsSize": int, "volumes": list,
                 "ports": list, "envs": list, "tools": list, "createTime": str})
    assert got["ports"] == [{"type": "tcp", "ports": [8080, 8090]}, {"type": "http", "ports": [6000, 60001]}]


async def test_the_quick_start_first_request_lists_the_models(sandbox) -> None:
    # api-reference-overview, Quick Start: curl https://api.novita.ai/v1/models
    async with served(sandbox) as http:
        r = await http.get("/v1/models")
        listed = await http.get("/openai/v1/models")
    assert r.status_code == 200, r.text
    ids = [m["id"] for m in r.json()["data"]]
    assert ids and set(ids) >= {m["id"] for m in listed.json()["data"]}


async def test_chat_completions_under_v1_answers_for_a_catalogue_model(sandbox) -> None:
    async with served(sandbox) as http:
        model = (await http.get("/openai/v1/models")).json()["data"][0]["id"]
        r = await http.post("/v1/chat/completions", json={"model": model,
                                                          "messages": [{"role": "user", "content": "Hello"}]})
    assert r.status_code == 200, r.text
    fields(r.json(), {"id": str, "choices": list, "usage": dict})
    assert r.json()["model"] == model
