"""The sandbox's LoRA training (Novita docs: model-apis-create-{style,subject}-training): uploads, task states on the clock, money, lists."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from novita_mcp.pricing.platform import training_usd
from novita_mcp.sandbox import Sandbox
from novita_mcp.sandbox.training import DEPLOY_SECONDS, QUEUE_SECONDS, SECONDS_PER_STEP

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url,
                                 headers={"Authorization": f"Bearer {sandbox.api_key}"}) as client:
        yield client


async def upload(http: httpx.AsyncClient, sandbox: Sandbox, data: bytes = PNG, ext: str = "png") -> str:
    ticket = (await http.post("/v3/assets/training_dataset", json={"file_extension": ext})).json()
    async with httpx.AsyncClient(transport=sandbox.transport()) as anonymous:  # a pre-signed URL needs no key
        response = await anonymous.put(ticket["upload_url"], content=data)
    assert response.status_code == 200, response.text
    return str(ticket["assets_id"])


def request(assets: list[str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "watercolor", "base_model": "v1-5-pruned-emaonly", "width": 512, "height": 512,
                            "image_dataset_items": [{"assets_id": a} for a in assets],
                            "expert_setting": {"max_train_steps": 500}}
    body.update(overrides)
    return body


async def test_the_upload_url_answer_has_the_documented_shape(http) -> None:
    ticket = (await http.post("/v3/assets/training_dataset", json={"file_extension": "jpeg"})).json()
    assert ticket["method"] == "PUT" and ticket["upload_url"].endswith(ticket["assets_id"])
    assert ticket["headers"]["Host"]["values"]


async def test_a_style_training_goes_queuing_training_success_and_its_model_deploys(http, sandbox) -> None:
    asset = await upload(http, sandbox)
    task_id = (await http.post("/v3/training/style", json=request([asset]))).json()["task_id"]

    async def status() -> dict[str, Any]:
        return (await http.get("/v3/training/style", params={"task_id": task_id})).json()  # type: ignore[no-any-return]

    assert (await status())["task_status"] == "QUEUING"
    sandbox.advance(QUEUE_SECONDS + 500 * SECONDS_PER_STEP / 2)
    halfway = await status()
    # The docs put progress and the time left in the result's ``extra``, not at the top level.
    assert (halfway["task_status"], halfway["extra"]["progress_percent"], halfway["models"]) == ("TRAINING", 50, [])
    assert halfway["extra"]["eta_relative"] == 150 and "progress" not in halfway and "eta" not in halfway
    sandbox.advance(500 * SECONDS_PER_STEP / 2)
    done = await status()
    assert done["task_status"] == "SUCCESS" and done["model_type"] == "lora"
    assert done["models"][0]["model_status"] == "DEPLOYING"
    sandbox.advance(DEPLOY_SECONDS)
    assert (await status())["models"][0]["model_status"] == "SERVING"


async def test_a_training_is_charged_once_at_creation_by_the_shared_price_table(http, sandbox) -> None:
    asset = await upload(http, sandbox)
    before = sandbox.state.balance_units
    await http.post("/v3/training/style", json=request([asset]))
    sandbox.advance(3600)
    assert before - sandbox.state.balance_units == training_usd(500) * 10_000
    assert sandbox.state.charges[-1].category == "gen_api"


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"width": 0}, "width"),
    ({"height": "512"}, "height"),
    ({"expert_setting": {"max_train_steps": 0}}, "max_train_steps"),
    ({"expert_setting": {"learning_rate": "3e-4"}}, "learning_rate"),
    ({"expert_setting": {"lr_scheduler": "step"}}, "lr_scheduler"),
    ({"expert_setting": {"lora_r": 2}}, "lora_r"),
    ({"expert_setting": {"batch_size": 5}}, "batch_size"),
    ({"expert_setting": {"seed": 0}}, "seed"),
    ({"base_model": "sd_xl_base_1.0.safetensors"}, "base_model"),
    ({"components": [{"name": "sharpen", "args": []}]}, "components"),
    ({"name": ""}, "name"),
    ({"image_dataset_items": []}, "image_dataset_items"),
])
async def test_invalid_trainings_are_refused_and_not_charged(http, sandbox, overrides, fragment) -> None:
    asset = await upload(http, sandbox)
    before = sandbox.state.balance_units
    response = await http.post("/v3/training/style", json=request([asset], **overrides))
    assert (response.status_code, response.json()["reason"]) == (400, "INVALID_REQUEST_BODY")
    assert fragment in response.json()["message"]
    assert sandbox.state.balance_units == before


SUBJECT_EXPERT = {"instance_prompt": "a close photo of ohwx person", "class_prompt": "person"}
COMPONENTS = [{"name": "face_crop_region", "args": [{"name": "ratio", "value": "1"}]},
              {"name": "resize", "args": [{"name": "width", "value": "512"}, {"name": "height", "value": "512"}]}]


async def test_a_subject_training_needs_an_instance_prompt_and_components(http, sandbox) -> None:
    asset = await upload(http, sandbox)
    no_prompt = await http.post("/v3/training/subject", json=request([asset], components=COMPONENTS))
    assert "instance_prompt" in no_prompt.json()["message"]
    no_components = await http.post("/v3/training/subject", json=request([asset], expert_setting=SUBJECT_EXPERT))
    assert no_components.status_code == 400 and "components" in no_components.json()["message"]
    ok = await http.post("/v3/training/subject", json=request([asset], expert_setting=SUBJECT_EXPERT,
                                                              components=COMPONENTS))
    assert ok.status_code == 200


async def test_the_class_prompt_of_a_subject_training_is_the_documented_enum(http, sandbox) -> None:
    asset = await upload(http, sandbox)
    free_text = await http.post("/v3/training/subject", json=request(
        [asset], expert_setting={**SUBJECT_EXPERT, "class_prompt": "a photo of a dog"}, components=COMPONENTS))
    assert free_text.status_code == 400 and "class_prompt must be one of person" in free_text.json()["message"]


async def test_the_sdk_nulls_are_accepted_and_an_unset_step_count_trains_the_default(http, sandbox) -> None:
    from novita_mcp.pricing.platform import TRAINING_DEFAULT_STEPS

    asset = await upload(http, sandbox)
    nulls = dict.fromkeys(("max_train_steps", "learning_rate", "seed", "lr_scheduler", "with_prior_preservation",
                           "prior_loss_weight", "lora_r", "lora_alpha", "lora_text_encoder_r",
                           "lora_text_encoder_alpha"))
    before = sandbox.state.balance_units
    ok = await http.post("/v3/training/style", json=request([asset], width=1, height=3000, components=None,
                                                            expert_setting={**nulls, "instance_prompt": None,
                                                                            "class_prompt": None}))
    assert ok.status_code == 200, ok.text
    assert before - sandbox.state.balance_units == training_usd(TRAINING_DEFAULT_STEPS) * 10_000


async def test_an_asset_must_be_uploaded_and_of_its_declared_type(http, sandbox) -> None:
    ticket = (await http.post("/v3/assets/training_dataset", json={"file_extension": "png"})).json()
    never_uploaded = await http.post("/v3/training/style", json=request([ticket["assets_id"]]))
    assert "uploaded" in never_uploaded.json()["message"]
    wrong = await http.put(ticket["upload_url"], content=b"\xff\xd8\xff\xe0 not a png")
    assert wrong.json()["reason"] == "INVALID_IMAGE_FORMAT"


async def test_the_list_pages_by_cursor_and_filters_by_type(http, sandbox) -> None:
    asset = await upload(http, sandbox)
    for i in range(3):
        await http.post("/v3/training/style", json=request([asset], name=f"s{i}"))
    await http.post("/v3/training/subject", json=request([asset], expert_setting=SUBJECT_EXPERT,
                                                         components=COMPONENTS))
    first = (await http.get("/v3/training", params={"pagination.limit": 2, "task_type": "style"})).json()
    assert [t["task_name"] for t in first["tasks"]] == ["s2", "s1"]
    rest = (await http.get("/v3/training", params={"pagination.limit": 2, "task_type": "style",
                                                   "pagination.cursor": first["pagination"]["next_cursor"]})).json()
    assert [t["task_name"] for t in rest["tasks"]] == ["s0"] and rest["pagination"]["next_cursor"] == ""


async def test_status_of_an_unknown_task_or_the_wrong_type_is_task_not_found(http, sandbox) -> None:
    asset = await upload(http, sandbox)
    task_id = (await http.post("/v3/training/style", json=request([asset]))).json()["task_id"]
    wrong_type = await http.get("/v3/training/subject", params={"task_id": task_id})
    assert (wrong_type.status_code, wrong_type.json()["reason"]) == (404, "TASK_NOT_FOUND")


async def test_an_empty_balance_refuses_the_training_with_the_media_reason(http, sandbox) -> None:
    asset = await upload(http, sandbox)
    sandbox.state.balance_units = Decimal(0)
    response = await http.post("/v3/training/style", json=request([asset]))
    assert response.json()["reason"] == "BILLING_BALANCE_NOT_ENOUGH"
    assert sandbox.domain("training").tasks == {}
