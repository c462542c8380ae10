"""The media toolset through MCP against the sandbox: images, edits, guard, inputs and outputs."""

from __future__ import annotations

import base64
import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from novita_mcp.client.media_formats import sniff
from novita_mcp.sandbox.media_encode import jpeg, png

from .conftest import connect

pytestmark = pytest.mark.anyio


@pytest.fixture
def media_server(make_server):
    """Servers whose waits advance the sandbox clock every 2.0 s instead of sleeping."""
    return functools.partial(make_server, hooks={"poll_interval": 2.0})


def spent(sandbox, since: int) -> Decimal:
    return sum((c.amount_units for c in sandbox.state.charges[since:]), Decimal(0)) / 10_000


def media_posts(sandbox) -> list[Any]:
    return [r for r in sandbox.state.requests if r.method == "POST" and r.path.startswith(("/v3", "/v3beta"))]


async def test_flux_image_is_quoted_by_the_published_formula_and_charged_exactly_that(media_server, sandbox) -> None:
    before = len(sandbox.state.charges)
    async with connect(media_server()) as client:
        result = await client.call_tool("generate_image", {"prompt": "a lighthouse", "width": 512, "height": 512,
                                                           "steps": 4, "count": 2})
    assert not result.is_error, result.content[0].text
    out = result.structured_content["result"]
    assert out["status"] == "succeeded" and len(out["files"]) == 2
    # 0.003 x 512 x 512 x 4 / (1024 x 1024 x 4) x 2 images
    assert Decimal(str(out["charged_usd"])) == Decimal("0.0015") == spent(sandbox, before)
    links = [b for b in result.content if b.type == "resource_link"]
    assert len(links) == 2 and links[0].mime_type == "image/png" and "expires" in links[0].description
    # the in-process sandbox's URLs resolve only inside the server: a local copy, served as a resource
    assert links[0].uri.startswith("novita-media://") and Path(out["files"][0]["local_path"]).read_bytes()[:4] == b"\x89PNG"
    assert out["files"][0]["url"].startswith("http://sandbox.novita.invalid/files/media/")


async def test_sd_txt2img_waits_for_its_task_with_progress_and_adds_the_nsfw_surcharge(media_server, sandbox) -> None:
    before = len(sandbox.state.charges)
    progress: list[tuple[float, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, message))

    async with connect(media_server()) as client:
        result = await client.call_tool("generate_image", {"prompt": "a dog", "model": "sd", "count": 2,
                                                           "nsfw_check": True, "output_format": "jpeg"},
                                        progress_callback=on_progress)
    assert not result.is_error, result.content[0].text
    out = result.structured_content["result"]
    assert out["status"] == "succeeded" and [f["mime_type"] for f in out["files"]] == ["image/jpeg"] * 2
    assert Decimal(str(out["charged_usd"])) == Decimal("0.0035") * 2 + Decimal("0.0015") * 2 == spent(sandbox, before)
    assert progress[-1][0] == 100 and any(0 < done < 100 for done, _ in progress)
    body = next(r.body for r in sandbox.state.requests if r.path == "/v3/async/txt2img")
    assert body["extra"]["enable_nsfw_detection"] is True


@pytest.mark.parametrize(("model", "width", "height", "price"), [
    ("seedream-3.0", 1024, 1024, "0.03"), ("seedream-4.0", 2048, 2048, "0.03"), ("seedream-4.5", 1024, 1024, "0.04"),
    ("qwen-image", 1024, 768, "0.02"),
])
async def test_each_image_model_family_generates_a_real_file(media_server, sandbox, model, width, height,
                                                             price) -> None:
    before = len(sandbox.state.charges)
    async with connect(media_server()) as client:
        result = await client.call_tool("generate_image", {"prompt": "poster", "model": model, "width": width,
                                                           "height": height})
    assert not result.is_error, result.content[0].text
    out = result.structured_content["result"]
    assert Decimal(str(out["charged_usd"])) == Decimal(price) == spent(sandbox, before)
    file = sandbox.domain("media").files.lookup(out["files"][0]["url"])
    info = sniff(file.data)
    assert (info.format, info.width, info.height) == ("jpeg", width, height)


async def test_an_unsupported_option_for_the_model_is_refused_before_any_request(media_server, sandbox) -> None:
    async with connect(media_server()) as client:
        result = await client.call_tool("generate_image", {"prompt": "x", "model": "qwen-image",
                                                           "negative_prompt": "blur"})
        too_big = await client.call_tool("generate_image", {"prompt": "x", "width": 4096})
    assert result.is_error and "negative_prompt" in result.content[0].text
    assert too_big.is_error and "64-2048" in too_big.content[0].text
    assert media_posts(sandbox) == []


async def test_output_dir_receives_the_files_and_their_paths_are_returned(media_server, sandbox, tmp_path) -> None:
    out_dir = tmp_path / "out"
    async with connect(media_server(output_dir=out_dir)) as client:
        result = await client.call_tool("generate_image", {"prompt": "x", "width": 256, "height": 128,
                                                           "output_format": "webp"})
    files = result.structured_content["result"]["files"]
    saved = Path(files[0]["local_path"])
    assert saved.parent == out_dir and saved.suffix == ".webp"
    assert sniff(saved.read_bytes()).width == 256


async def test_a_small_preview_is_inlined_unless_turned_off(media_server) -> None:
    async with connect(media_server()) as client:
        plain = await client.call_tool("generate_image", {"prompt": "x", "width": 64, "height": 64, "preview": False})
        shown = await client.call_tool("generate_image", {"prompt": "x", "width": 64, "height": 64})
    assert not [b for b in plain.content if b.type == "image"]
    images = [b for b in shown.content if b.type == "image"]
    assert len(images) == 1 and len(base64.b64decode(images[0].data)) <= 60_000


async def test_edit_reads_a_local_file_and_upscales_it(media_server, sandbox, tmp_path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg(300, 200))
    async with connect(media_server()) as client:
        result = await client.call_tool("edit_image", {"operation": "upscale", "image": str(photo), "scale": 2})
    assert not result.is_error, result.content[0].text
    file = sandbox.domain("media").files.lookup(result.structured_content["result"]["files"][0]["url"])
    assert (sniff(file.data).width, sniff(file.data).height) == (600, 400)
    sent = next(r.body for r in sandbox.state.requests if r.path == "/v3/async/upscale")
    assert base64.b64decode(sent["request"]["image_base64"]) == photo.read_bytes()


async def test_cleanup_with_a_mask_returns_a_saved_file(media_server, tmp_path) -> None:
    image = base64.b64encode(png(128, 96)).decode()
    async with connect(media_server(output_dir=tmp_path)) as client:
        result = await client.call_tool("edit_image", {"operation": "cleanup", "image": image, "mask": image})
    assert not result.is_error, result.content[0].text
    file = result.structured_content["result"]["files"][0]
    assert Path(file["local_path"]).read_bytes()[:4] == b"\x89PNG" and file["url"].startswith("file://")


async def test_edit_combinations_are_checked_before_any_request(media_server, sandbox, tmp_path) -> None:
    photo = tmp_path / "a.png"
    photo.write_bytes(png(64, 64))
    async with connect(media_server()) as client:
        no_mask = await client.call_tool("edit_image", {"operation": "inpaint", "image": str(photo), "prompt": "x"})
        stray = await client.call_tool("edit_image", {"operation": "upscale", "image": str(photo), "prompt": "x"})
    assert no_mask.is_error and "needs mask" in no_mask.content[0].text
    assert stray.is_error and "takes no prompt" in stray.content[0].text
    assert media_posts(sandbox) == []


async def test_oversize_and_wrong_format_local_files_are_refused_before_any_upload(media_server, sandbox,
                                                                                   tmp_path) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(png(64, 64) + b"\x00" * (11 * 1024 * 1024))
    gif = tmp_path / "anim.gif"
    gif.write_bytes(b"GIF89a" + b"\x10\x00\x10\x00" + b"\x00" * 40)
    huge = tmp_path / "huge.png"
    huge.write_bytes(png(3000, 100))
    async with connect(media_server()) as client:
        oversize = await client.call_tool("edit_image", {"operation": "img2img", "image": str(big), "prompt": "x"})
        wrong = await client.call_tool("edit_image", {"operation": "img2img", "image": str(gif), "prompt": "x"})
        wide = await client.call_tool("edit_image", {"operation": "upscale", "image": str(huge)})
    assert oversize.is_error and "at most 10 MB" in oversize.content[0].text
    assert wrong.is_error and "gif" in wrong.content[0].text and "png, jpeg, webp" in wrong.content[0].text
    assert wide.is_error and "2048" in wide.content[0].text
    assert media_posts(sandbox) == []


async def test_list_image_models_pages_through_checkpoints(media_server) -> None:
    async with connect(media_server()) as client:
        first = await client.call_tool("list_image_models", {"limit": 3})
        rest = await client.call_tool("list_image_models", {"limit": 50,
                                                            "cursor": first.structured_content["next_cursor"]})
        inpaint = await client.call_tool("list_image_models", {"inpainting": True})
    names = [m["sd_name"] for m in first.structured_content["models"] + rest.structured_content["models"]]
    assert "sd_xl_base_1.0.safetensors" in names and len(names) == len(set(names)) == 11
    assert rest.structured_content["next_cursor"] is None
    assert all(m["is_inpainting"] for m in inpaint.structured_content["models"])


async def test_every_media_tool_is_listed_with_truthful_annotations(media_server) -> None:
    async with connect(media_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in ("generate_image", "edit_image", "generate_video", "text_to_speech", "transcribe_audio"):
        assert tools[name].annotations.read_only_hint is False
    for name in ("get_task", "wait_for_task", "list_image_models"):
        assert tools[name].annotations.read_only_hint is True
    assert "flux-1-schnell" in tools["generate_image"].description


async def test_img2img_keeps_the_aspect_within_sd_limits(media_server, sandbox, tmp_path) -> None:
    wide = tmp_path / "wide.jpg"
    wide.write_bytes(jpeg(4000, 1000))
    async with connect(media_server()) as client:
        result = await client.call_tool("edit_image", {"operation": "img2img", "image": str(wide), "prompt": "sunset",
                                                       "strength": 0.3, "count": 2})
    assert not result.is_error, result.content[0].text
    sent = next(r.body["request"] for r in sandbox.state.requests if r.path == "/v3/async/img2img")
    assert (sent["width"], sent["height"], sent["strength"], sent["image_num"]) == (2048, 512, 0.3, 2)


async def test_a_confirmation_shows_inline_images_by_size_not_content(media_server, sandbox) -> None:
    image = base64.b64encode(png(300, 300)).decode()
    async with connect(media_server(auto_approve_usd=Decimal(0))) as client:
        asked = await client.call_tool("edit_image", {"operation": "remove_background", "image": image})
    view = asked.structured_content["confirmation"]
    assert asked.structured_content["status"] == "confirmation_required"
    assert view["target"].startswith("inline data") and image[:40] not in asked.content[0].text
    assert Decimal(view["cost_usd"]) == Decimal("0.002") and media_posts(sandbox) == []


async def test_seedream_4_needs_at_least_1280x720_pixels(media_server, sandbox) -> None:
    async with connect(media_server()) as client:
        small = await client.call_tool("generate_image", {"prompt": "x", "model": "seedream-4.0", "width": 800,
                                                         "height": 800})
        wide = await client.call_tool("generate_image", {"prompt": "x", "model": "seedream-4.0", "width": 1280,
                                                        "height": 720})
    assert small.is_error and "1280x720" in small.content[0].text
    assert not wide.is_error, wide.content[0].text
