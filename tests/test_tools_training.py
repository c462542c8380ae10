"""The training toolset through MCP against the sandbox: the training story, refusals, quote vs charge."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from .conftest import connect, elicitation
from .guarded_flow import MODES, exercise

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def server(make_server):
    """Servers whose waits advance the sandbox clock instead of sleeping."""
    return make_server


@pytest.fixture
def images(tmp_path: Path) -> list[str]:
    paths = [tmp_path / "a.png", tmp_path / "b.jpg"]
    paths[0].write_bytes(PNG)
    paths[1].write_bytes(JPEG)
    return [str(p) for p in paths]


async def test_the_training_story_upload_start_follow_list(server, sandbox, images) -> None:
    async with connect(server()) as client:
        uploaded = await client.call_tool("upload_training_images", {"images": images})
        assert uploaded.structured_content["status"] == "done"  # free: no confirmation
        assets = uploaded.structured_content["result"]["assets_ids"]
        assert len(assets) == 2 and all(sandbox.domain("training").assets[a].data for a in assets)

        args = {"kind": "style", "name": "watercolor", "base_model": "v1-5-pruned-emaonly", "assets_ids": assets}
        first = await client.call_tool("start_training", args)
        view = first.structured_content["confirmation"]
        assert view["cost_usd"] == "0.4000" and view["recurring"] is None
        assert sandbox.state.requests_to("/v3/training/style") == []
        balance = sandbox.state.balance_units
        done = await client.call_tool("start_training", {**args, "confirmation_token": view["token"]})
        task_id = done.structured_content["result"]["task_id"]
        assert balance - sandbox.state.balance_units == Decimal(view["cost_usd"]) * 10_000

        queued = await client.call_tool("get_training", {"kind": "style", "task_id": task_id})
        assert queued.structured_content["status"] == "QUEUING" and "call get_training again" in queued.content[0].text
        sandbox.advance(640)
        finished = await client.call_tool("get_training", {"kind": "style", "task_id": task_id, "max_wait_seconds": 50})
        assert finished.structured_content["status"] == "SUCCESS"
        sandbox.advance(120)
        listed = await client.call_tool("list_trainings", {"kind": "style"})
    (training,) = listed.structured_content["trainings"]
    assert training["task_id"] == task_id and training["models"][0]["model_status"] == "SERVING"
    assert training["models"][0]["model_name"].startswith("watercolor-")


async def test_a_declined_training_sends_nothing_and_costs_nothing(server, sandbox, images) -> None:
    async with connect(server()) as client:
        assets = (await client.call_tool("upload_training_images", {"images": images[:1]})
                  ).structured_content["result"]["assets_ids"]
    balance = sandbox.state.balance_units
    async with connect(server(), elicit=elicitation("decline")) as client:
        result = await client.call_tool("start_training", {"kind": "style", "name": "x", "base_model": "v1-5-pruned-emaonly",
                                                           "assets_ids": assets})
    assert result.is_error
    assert sandbox.state.requests_to("/v3/training") == []
    assert sandbox.state.balance_units == balance and sandbox.domain("training").tasks == {}


async def test_an_image_of_the_wrong_format_is_refused_before_any_upload(server, sandbox, tmp_path, images) -> None:
    gif = tmp_path / "c.gif"
    gif.write_bytes(b"GIF89a" + b"\x00" * 10)
    async with connect(server()) as client:
        result = await client.call_tool("upload_training_images", {"images": [*images, str(gif)]})
    assert result.is_error and "c.gif" in result.content[0].text
    assert sandbox.state.requests_to("/v3/assets/training_dataset") == []


async def test_a_subject_training_without_instance_prompt_is_refused_before_asking(server, sandbox) -> None:
    async with connect(server()) as client:
        result = await client.call_tool("start_training", {"kind": "subject", "name": "dog", "base_model": "v1-5-pruned-emaonly",
                                                           "assets_ids": ["a"]})
    assert result.is_error and "instance_prompt" in result.content[0].text
    assert sandbox.state.requests_to("/v3/training") == []


async def test_a_training_quote_follows_the_step_count(server) -> None:
    async with connect(server()) as client:
        result = await client.call_tool("start_training", {"kind": "style", "name": "x", "base_model": "v1-5-pruned-emaonly",
                                                           "assets_ids": ["a"], "max_train_steps": 2500})
    assert result.structured_content["confirmation"]["cost_usd"] == "1.0000"


@pytest.mark.parametrize("mode", MODES)
async def test_start_training_waits_for_consent(server, sandbox, images, mode) -> None:
    async with connect(server()) as client:
        assets = (await client.call_tool("upload_training_images", {"images": images})
                  ).structured_content["result"]["assets_ids"]
    domain = sandbox.domain("training")
    args = {"kind": "subject", "name": "dog", "base_model": "v1-5-pruned-emaonly", "assets_ids": assets,
            "instance_prompt": "a close photo of ohwx person", "max_train_steps": 300}
    await exercise(server(), sandbox, mode, "start_training", args, "/v3/training/subject",
                   lambda: domain.tasks == {}, lambda: len(domain.tasks) == 1)


async def test_a_subject_training_sends_what_the_docs_require(server, sandbox, images) -> None:
    async with connect(server()) as client:
        assets = (await client.call_tool("upload_training_images", {"images": images})
                  ).structured_content["result"]["assets_ids"]
        args = {"kind": "subject", "name": "me", "base_model": "v1-5-pruned-emaonly", "assets_ids": assets,
                "instance_prompt": "a close photo of ohwx person", "class_prompt": "person", "width": 640,
                "height": 768}
        first = await client.call_tool("start_training", args)
        done = await client.call_tool("start_training", {**args,
                                                         "confirmation_token": first.structured_content[
                                                             "confirmation"]["token"]})
    assert done.structured_content["status"] == "done", done.content[0].text
    (sent,) = sandbox.state.requests_to("/v3/training/subject")
    assert sent.body["expert_setting"]["class_prompt"] == "person"
    assert [c["name"] for c in sent.body["components"]] == ["face_crop_region", "resize", "face_restore"]
    resize = next(c for c in sent.body["components"] if c["name"] == "resize")
    assert resize["args"] == [{"name": "width", "value": "640"}, {"name": "height", "value": "768"}]


async def test_a_free_text_class_prompt_or_an_unknown_base_model_is_refused_by_the_schema(server, sandbox) -> None:
    base = {"kind": "subject", "name": "dog", "assets_ids": ["a"], "instance_prompt": "ohwx dog"}
    async with connect(server()) as client:
        free_text = await client.call_tool("start_training", {**base, "base_model": "v1-5-pruned-emaonly",
                                                              "class_prompt": "a photo of a dog"})
        unknown = await client.call_tool("start_training", {**base, "base_model": "v1-5"})
    assert free_text.is_error and "person" in free_text.content[0].text
    assert unknown.is_error and "v1-5-pruned-emaonly" in unknown.content[0].text
    assert sandbox.state.requests_to("/v3/training") == []


async def test_get_training_shows_the_progress_novita_reports_in_extra(server, sandbox, images) -> None:
    async with connect(server()) as client:
        assets = (await client.call_tool("upload_training_images", {"images": images})
                  ).structured_content["result"]["assets_ids"]
        args = {"kind": "style", "name": "wc", "base_model": "v1-5-pruned-emaonly", "assets_ids": assets,
                "max_train_steps": 1000}
        first = await client.call_tool("start_training", args)
        done = await client.call_tool("start_training", {**args, "confirmation_token": first.structured_content[
            "confirmation"]["token"]})
        task_id = done.structured_content["result"]["task_id"]
        sandbox.advance(60 + 300)  # queued 60 s, then half of 1000 steps x 0.6 s
        halfway = await client.call_tool("get_training", {"kind": "style", "task_id": task_id})
    view = halfway.structured_content
    assert (view["status"], view["progress_percent"], view["eta_seconds"]) == ("TRAINING", 50, 300)
    assert "50%" in halfway.content[0].text and "300 s left" in halfway.content[0].text
