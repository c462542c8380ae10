"""Novita's official Python SDK (``novita-client``, pinned in the test extra) against the sandbox.

Every SDK method whose endpoint the sandbox serves is called the way the SDK's README calls
it, with the SDK's own defaults (``extra.custom_storage: {}``, ``enterprise_plan: {}``,
``null`` for unset fields): the real API evidently accepts what its own SDK sends, so the
sandbox must too. Results are judged by what the SDK parses and by the sandbox's own records.
"""

from __future__ import annotations

import base64
import io
from decimal import Decimal
from typing import Any

import pytest
from novita_client import proto
from PIL import Image

from ._served import contract_sandbox, in_thread, sdk_client

pytestmark = pytest.mark.anyio

CHECKPOINT = "sd_xl_base_1.0.safetensors"
INPAINTING_CHECKPOINT = "realisticVisionV51_v51VAE-inpainting_94324.safetensors"


def picture(width: int = 256, height: int = 192, colour: tuple[int, int, int] = (200, 120, 40)) -> Image.Image:
    return Image.new("RGB", (width, height), colour)


def png_b64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def decoded(image_b64: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(image_b64)))


@pytest.fixture
def sandbox():  # noqa: ANN201 - overrides the shared fixture with a contract key
    return contract_sandbox()


async def test_user_info_reports_the_balance_in_ten_thousandths_of_a_dollar(sandbox, monkeypatch) -> None:
    async with sdk_client(sandbox, monkeypatch) as sdk:
        info = await in_thread(sdk.user_info)
    assert info.credit_balance == int(sandbox.state.balance_units)


async def test_txt2img_v3_with_the_sdk_defaults_generates_and_downloads(sandbox, monkeypatch) -> None:
    async with sdk_client(sandbox, monkeypatch) as sdk:
        result = await in_thread(lambda: sdk.txt2img_v3(model_name=CHECKPOINT, prompt="a red fox in snow",
                                                        image_num=2, width=512, height=384, steps=20))
    sent = next(r for r in sandbox.state.requests if r.path == "/v3/async/txt2img")
    assert sent.body["extra"]["custom_storage"] == {} and sent.body["extra"]["enterprise_plan"] == {}
    assert result.task.status == proto.V3TaskResponseStatus.TASK_STATUS_SUCCEED
    assert [decoded(b).size for b in result.images_encoded] == [(512, 384)] * 2
    assert {decoded(b).format for b in result.images_encoded} == {"JPEG"}  # the SDK asks for jpeg by default


async def test_img2img_v3_with_the_sdk_defaults_generates_and_downloads(sandbox, monkeypatch) -> None:
    async with sdk_client(sandbox, monkeypatch) as sdk:
        # steps is required by the img2img page; the SDK sends null unless it is given.
        result = await in_thread(lambda: sdk.img2img_v3(model_name=CHECKPOINT, input_image=png_b64(picture()),
                                                        prompt="the same, at dusk", image_num=1, steps=20))
    assert result.task.status == proto.V3TaskResponseStatus.TASK_STATUS_SUCCEED
    assert [decoded(b).size for b in result.images_encoded] == [(512, 512)]  # the SDK's default size


async def test_inpainting_with_the_sdk_defaults_generates_and_downloads(sandbox, monkeypatch) -> None:
    image, mask = picture(320, 240), picture(320, 240, (255, 255, 255))
    async with sdk_client(sandbox, monkeypatch) as sdk:
        result = await in_thread(lambda: sdk.inpainting(
            model_name=INPAINTING_CHECKPOINT, image=image, mask=mask, prompt="a vase of tulips", image_num=1,
            sampler_name="Euler a", steps=20, guidance_scale=7.5, seed=42))
    assert result.task.status == proto.V3TaskResponseStatus.TASK_STATUS_SUCCEED
    assert [decoded(b).size for b in result.images_encoded] == [(320, 240)]


async def test_a_task_result_parses_into_the_sdk_types_while_it_runs_and_when_done(sandbox, monkeypatch) -> None:
    async with sdk_client(sandbox, monkeypatch) as sdk:
        request = proto.Txt2ImgV3Request(model_name=CHECKPOINT, prompt="a lighthouse")
        submitted = await in_thread(lambda: sdk.raw_txt2img_v3(request, proto.CommonV3Extra()))
        early = await in_thread(sdk.async_task_result, submitted.task_id)
        sandbox.advance(600)
        done = await in_thread(sdk.async_task_result, submitted.task_id)
    assert early.task.status == proto.V3TaskResponseStatus.TASK_STATUS_QUEUED and not early.finished()
    assert done.finished() and done.task.progress_percent == 100 and done.task.task_type == "TXT_TO_IMG"
    assert done.extra.debug_info.complete_time_ms > done.extra.debug_info.submit_time_ms
    assert done.images[0].image_url_ttl == 3600 and done.images[0].image_type == "jpeg"


async def test_query_model_v3_and_models_v3_page_through_the_catalogue(sandbox, monkeypatch) -> None:
    async with sdk_client(sandbox, monkeypatch) as sdk:
        page = await in_thread(lambda: sdk.query_model_v3(types="checkpoint", limit="5"))
        everything = await in_thread(sdk.models_v3)
    assert page.models and all(m.type.name == "checkpoint" for m in page.models)
    assert everything.get_by_sd_name(CHECKPOINT) is not None
    assert all(m.status == proto.ModelInfoStatus.AVAILABLE for m in everything)


@pytest.mark.parametrize("method", ["remove_background", "remove_text", "reimagine"])
async def test_the_one_image_sync_utilities_answer_an_image_of_the_input_size(sandbox, monkeypatch, method) -> None:
    async with sdk_client(sandbox, monkeypatch) as sdk:
        answer = await in_thread(getattr(sdk, method), picture(300, 200))
    assert answer.image_type == "jpeg" and decoded(answer.image_file).size == (300, 200)


async def test_replace_background_and_cleanup_answer_an_image(sandbox, monkeypatch) -> None:
    async with sdk_client(sandbox, monkeypatch) as sdk:
        replaced = await in_thread(lambda: sdk.replace_background(picture(), "a beach at noon"))
        cleaned = await in_thread(lambda: sdk.cleanup(picture(), picture(colour=(255, 255, 255))))
    assert decoded(replaced.image_file).size == decoded(cleaned.image_file).size == (256, 192)


async def test_merge_face_answers_an_image_of_the_target_size(sandbox, monkeypatch) -> None:
    async with sdk_client(sandbox, monkeypatch) as sdk:
        merged = await in_thread(lambda: sdk.merge_face(picture(400, 300), picture(128, 128, (230, 190, 170))))
    assert decoded(merged.image_file).size == (400, 300)


async def test_img2prompt_describes_the_image(sandbox, monkeypatch) -> None:
    async with sdk_client(sandbox, monkeypatch) as sdk:
        wide = await in_thread(sdk.img2prompt, picture(640, 360, (20, 40, 200)))
        tall = await in_thread(sdk.img2prompt, picture(360, 640, (250, 250, 250)))
    assert wide.prompt and tall.prompt and wide.prompt != tall.prompt


async def test_the_sync_utilities_are_charged_once_each(sandbox, monkeypatch) -> None:
    before = sandbox.state.balance_units
    async with sdk_client(sandbox, monkeypatch) as sdk:
        await in_thread(sdk.reimagine, picture())
        await in_thread(sdk.img2prompt, picture())
    charged = [c for c in sandbox.state.charges if c.product_name in ("reimagine", "img2prompt")]
    assert sorted(c.product_name for c in charged) == ["img2prompt", "reimagine"]
    assert before - sandbox.state.balance_units == sum(c.amount_units for c in charged) > Decimal(0)


async def test_txt2video_and_img2video_generate_and_download(sandbox, monkeypatch) -> None:
    prompts = [proto.Txt2VideoPrompt(prompt="a cat walks", frames=16)]
    async with sdk_client(sandbox, monkeypatch) as sdk:
        video = await in_thread(lambda: sdk.txt2video(model_name="darkSushiMixMix_225D_64380.safetensors",
                                                      height=512, width=512, steps=20, prompts=prompts,
                                                      guidance_scale=7.5))
        animated = await in_thread(lambda: sdk.img2video(image=picture(576, 320), model_name="SVD", steps=20,
                                                         frames_num=14))
    for result in (video, animated):
        assert result.task.status == proto.V3TaskResponseStatus.TASK_STATUS_SUCCEED
        assert result.video_bytes and result.video_bytes[0][4:8] == b"ftyp"


def _train(sdk: Any, kind: str) -> str:
    images = [picture(512, 512, (10 * i, 80, 160)) for i in range(3)]
    if kind == "style":
        return sdk.create_training_style("sdk-style", "v1-5-pruned-emaonly", images, ["a watercolour"] * 3,
                                         max_train_steps=200)
    return sdk.create_training_subject("sdk-subject", "v1-5-pruned-emaonly", images, "a photo of ohwx person",
                                       "person", components=proto.FACE_TRAINING_DEFAULT_COMPONENTS)


async def test_training_through_the_sdk_uploads_trains_and_lists(sandbox, monkeypatch) -> None:
    async with sdk_client(sandbox, monkeypatch) as sdk:
        style_id = await in_thread(_train, sdk, "style")
        subject_id = await in_thread(_train, sdk, "subject")
        sandbox.advance(4 * 3600)
        subject = await in_thread(sdk.query_training_subject_status, subject_id)
        listed = await in_thread(sdk.list_training)
    uploads = [r for r in sandbox.state.requests if r.method == "PUT" and r.path.startswith("/files/training/")]
    assert len(uploads) == 6 and all(r.status == 200 for r in uploads)
    assert subject.task_status == "SUCCESS" and subject.models[0].model_status == "SERVING"
    assert {t.task_id for t in listed} == {style_id, subject_id}
    assert {t.task_type for t in listed} == {"style", "subject"}

