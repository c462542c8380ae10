"""Video, speech and transcription tools through MCP against the sandbox, with the guard."""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from novita_mcp.client.media_formats import sniff
from novita_mcp.sandbox.media_encode import png

from .conftest import connect, elicitation

pytestmark = pytest.mark.anyio


@pytest.fixture
def media_server(make_server):
    """Servers whose waits advance the sandbox clock every 2.0 s instead of sleeping."""
    return functools.partial(make_server, hooks={"poll_interval": 2.0})


def spent(sandbox, since: int) -> Decimal:
    return sum((c.amount_units for c in sandbox.state.charges[since:]), Decimal(0)) / 10_000


def submits(sandbox) -> list[Any]:
    return [r for r in sandbox.state.requests if r.method == "POST" and r.path.startswith("/v3/async/")]


@pytest.mark.parametrize(("args", "path", "price"), [
    ({"model": "kling-v2.1-master", "duration": 10}, "/v3/async/kling-v2.1-t2v-master", "2.80"),
    ({"model": "minimax-hailuo-02", "resolution": "1080p"}, "/v3/async/minimax-hailuo-02", "0.48"),
    ({"model": "wan-2.5-preview", "resolution": "480p", "aspect_ratio": "9:16"}, "/v3/async/wan-2.5-t2v-preview",
     "0.50"),
    ({"model": "wan-2.1", "resolution": "480p"}, "/v3/async/wan-t2v", "0.30"),
    ({"model": "vidu-q1"}, "/v3/async/vidu-q1-text2video", "0.40"),
    ({"model": "hunyuan-video-fast", "aspect_ratio": "9:16"}, "/v3/async/hunyuan-video-fast", "0.40"),
    ({"model": "animatediff", "duration": 4}, "/v3/async/txt2video", "0.08"),
])
async def test_each_video_family_renders_an_mp4_and_charges_its_quote(media_server, sandbox, args, path,
                                                                     price) -> None:
    before = len(sandbox.state.charges)
    # Unattended: every one of these runs without asking (the session's auto-approve allowance raised too).
    async with connect(media_server(auto_approve_usd=Decimal(10), auto_approve_session_usd=Decimal(10))) as client:
        first = await client.call_tool("generate_video", {"prompt": "a fox in snow", **args, "max_wait_seconds": 50})
        task_id = first.structured_content["result"]["task_id"]
        done = await client.call_tool("wait_for_task", {"task_id": task_id, "max_wait_seconds": 50})
    assert not done.is_error, done.content[0].text
    assert [r.path for r in submits(sandbox)] == [path]
    assert Decimal(str(first.structured_content["result"]["quote_usd"])) == Decimal(price) == spent(sandbox, before)
    video = done.structured_content["files"][0]
    assert video["mime_type"] == "video/mp4"
    assert sniff(sandbox.domain("media").files.lookup(video["url"]).data).format == "mp4"


async def test_a_long_video_reports_progress_returns_still_running_and_resumes(media_server, sandbox) -> None:
    progress: list[float] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    before = len(sandbox.state.charges)
    async with connect(media_server(auto_approve_usd=Decimal(10))) as client:
        first = await client.call_tool("generate_video", {"prompt": "waves", "model": "kling-o1", "duration": 10,
                                                          "max_wait_seconds": 20}, progress_callback=on_progress)
        out = first.structured_content["result"]
        assert out["status"] == "running" and 0 < out["progress_percent"] < 100 and out["eta_seconds"] > 0
        assert "Still running — call wait_for_task" in first.content[0].text and out["task_id"] in first.content[0].text
        assert spent(sandbox, before) == 0  # charged when the task succeeds
        second = await client.call_tool("wait_for_task", {"task_id": out["task_id"], "max_wait_seconds": 50},
                                        progress_callback=on_progress)
        third = await client.call_tool("wait_for_task", {"task_id": out["task_id"], "max_wait_seconds": 50},
                                       progress_callback=on_progress)
    assert second.structured_content["status"] == "running"
    assert third.structured_content["status"] == "succeeded"
    assert progress == sorted(progress) and progress[0] == 0 and progress[-1] == 100
    assert spent(sandbox, before) == Decimal("1.00")


async def test_a_failed_task_is_an_error_with_its_reason_and_costs_nothing(media_server, sandbox) -> None:
    before = len(sandbox.state.charges)
    async with connect(media_server(auto_approve_usd=Decimal(10))) as client:
        first = await client.call_tool("generate_video", {"prompt": "storm [fail]", "model": "wan-2.1",
                                                          "max_wait_seconds": 50})
        result = await client.call_tool("wait_for_task", {"task_id": first.structured_content["result"]["task_id"]})
    assert result.is_error
    text = result.content[0].text
    assert "TASK_STATUS_FAILED" in text and "failure switch" in text and "Nothing was charged" in text
    assert spent(sandbox, before) == 0


async def test_an_expensive_video_needs_confirmation_and_the_token_runs_it_once(media_server, sandbox) -> None:
    args = {"prompt": "city at night", "model": "kling-v2.1-master", "duration": 5, "max_wait_seconds": 0}
    async with connect(media_server()) as client:
        asked = await client.call_tool("generate_video", args)
        assert submits(sandbox) == []
        view = asked.structured_content["confirmation"]
        assert asked.structured_content["status"] == "confirmation_required"
        assert Decimal(view["cost_usd"]) == Decimal("1.40") and "per second" in view["cost_basis"]
        done = await client.call_tool("generate_video", {**args, "confirmation_token": view["token"]})
        again = await client.call_tool("generate_video", {**args, "confirmation_token": view["token"]})
    assert done.structured_content["status"] == "done"
    assert again.is_error and "already used" in again.content[0].text
    assert len(submits(sandbox)) == 1
    sandbox.advance(200)
    assert sandbox.state.charges[-1].amount_units / 10_000 == Decimal(view["cost_usd"])


async def test_elicitation_accept_runs_and_decline_sends_nothing(media_server, sandbox) -> None:
    args = {"prompt": "a hawk", "model": "vidu-q1", "max_wait_seconds": 0}
    balance = sandbox.state.balance_units
    async with connect(media_server(), elicit=elicitation("decline")) as client:
        declined = await client.call_tool("generate_video", args)
    assert declined.is_error and "declined" in declined.content[0].text
    assert submits(sandbox) == [] and sandbox.state.balance_units == balance
    ask = elicitation("accept")
    async with connect(media_server(), elicit=ask) as client:
        accepted = await client.call_tool("generate_video", args)
    assert accepted.structured_content["status"] == "done"
    assert "$0.40" in ask.questions[0] and len(submits(sandbox)) == 1


async def test_svd_animates_a_local_image(media_server, sandbox, tmp_path) -> None:
    still = tmp_path / "still.png"
    still.write_bytes(png(640, 360))
    async with connect(media_server(auto_approve_usd=Decimal(10))) as client:
        first = await client.call_tool("generate_video", {"prompt": "gentle motion", "model": "svd",
                                                          "image": str(still), "max_wait_seconds": 50})
    assert not first.is_error, first.content[0].text
    body = next(r.body for r in submits(sandbox))
    assert body["model_name"] == "SVD" and body["frames_num"] == 14


async def test_video_arguments_are_checked_against_the_model(media_server, sandbox) -> None:
    async with connect(media_server()) as client:
        bad_duration = await client.call_tool("generate_video", {"prompt": "x", "model": "kling-o1", "duration": 7})
        needs_image = await client.call_tool("generate_video", {"prompt": "x", "model": "kling-v2.1"})
        hd_long = await client.call_tool("generate_video", {"prompt": "x", "model": "minimax-hailuo-02",
                                                            "resolution": "1080p", "duration": 10})
    assert bad_duration.is_error and "5 or 10 s" in bad_duration.content[0].text
    assert needs_image.is_error and "animates an image" in needs_image.content[0].text
    assert hd_long.is_error and "1080p only for 6-second" in hd_long.content[0].text
    assert submits(sandbox) == []


async def test_speech_round_trips_through_transcription(media_server, sandbox, tmp_path) -> None:
    text = "Hello from the Novita sandbox."
    before = len(sandbox.state.charges)
    async with connect(media_server(output_dir=tmp_path)) as client:
        spoken = await client.call_tool("text_to_speech", {"text": text})
        saved = spoken.structured_content["result"]["files"][0]["local_path"]
        heard = await client.call_tool("transcribe_audio", {"audio": saved})
    assert not spoken.is_error and not heard.is_error, heard.content[0].text
    assert Path(saved).read_bytes()[:4] == b"RIFF"
    assert heard.structured_content["result"]["text"] == text
    speech_cost = Decimal("0.06") * len(text) / 1000
    assert spent(sandbox, before) == speech_cost + Decimal("0.003")
    assert Decimal(str(spoken.structured_content["result"]["charged_usd"])) == speech_cost


async def test_a_non_audio_file_is_refused_before_upload(media_server, sandbox, tmp_path) -> None:
    fake = tmp_path / "notes.wav"
    fake.write_bytes(png(8, 8))
    async with connect(media_server()) as client:
        result = await client.call_tool("transcribe_audio", {"audio": str(fake)})
    assert result.is_error and "png" in result.content[0].text
    assert not [r for r in sandbox.state.requests if r.path == "/v3/glm-asr"]


async def test_speech_28_models_are_unwrapped_and_priced_per_character(media_server, sandbox) -> None:
    before = len(sandbox.state.charges)
    async with connect(media_server()) as client:
        result = await client.call_tool("text_to_speech", {"text": "x" * 400, "model": "minimax-speech-2.8-hd",
                                                           "emotion": "happy"})
    assert not result.is_error, result.content[0].text
    assert result.structured_content["result"]["files"][0]["mime_type"] == "audio/wav"
    assert spent(sandbox, before) == Decimal("0.04")
    body = next(r.body for r in sandbox.state.requests if r.path == "/v3/minimax-speech-2.8-hd")
    assert body["voice_setting"]["emotion"] == "happy" and body["output_format"] == "url"


async def test_options_a_video_model_does_not_take_are_refused(media_server, sandbox) -> None:
    async with connect(media_server()) as client:
        seeded = await client.call_tool("generate_video", {"prompt": "x", "model": "kling-o1", "seed": 3})
        negative = await client.call_tool("generate_video", {"prompt": "x", "model": "vidu-q1",
                                                             "negative_prompt": "blur"})
    assert seeded.is_error and "takes no seed" in seeded.content[0].text
    assert negative.is_error and "takes no negative_prompt" in negative.content[0].text
    assert submits(sandbox) == []
