"""Pictures the user can see: inline previews, and every returned resource_link readable through MCP."""

from __future__ import annotations

import base64
import functools
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from novita_mcp.media_resources import MediaStore
from novita_mcp.sandbox.media_encode import jpeg

from .conftest import connect
from .served import http_server, serve_over_http

pytestmark = pytest.mark.anyio


@pytest.fixture
def media_server(make_server):
    return functools.partial(make_server, hooks={"poll_interval": 2.0}, auto_approve_usd=Decimal(10),
                             auto_approve_session_usd=Decimal(10))


def _links(result: Any) -> list[Any]:
    return [b for b in result.content if b.type == "resource_link"]


async def _read_every_link(client: Any, result: Any) -> list[tuple[str, bytes]]:
    """Read each resource_link of a result through resources/read: (MIME type, bytes)."""
    out = []
    for link in _links(result):
        read = await client.read_resource(link.uri)
        (content,) = read.contents
        assert content.mime_type == link.mime_type, link.uri
        out.append((content.mime_type, base64.b64decode(content.blob)))
    return out


async def test_an_image_result_carries_a_small_webp_preview_and_the_full_size_file(media_server, sandbox) -> None:
    async with connect(media_server()) as client:
        result = await client.call_tool("generate_image", {"prompt": "a lighthouse", "width": 1024, "height": 768})
        files = await _read_every_link(client, result)
    assert not result.is_error, result.content[0].text
    (preview,) = [b for b in result.content if b.type == "image"]
    data = base64.b64decode(preview.data)
    assert preview.mime_type == "image/webp" and len(data) <= 60_000
    with Image.open(io.BytesIO(data)) as small:
        assert small.format == "WEBP" and max(small.size) <= 512 and small.size == (512, 384)
    # the full-size file, through resources/read: the very bytes Novita (the sandbox) produced
    url = result.structured_content["result"]["files"][0]["url"]
    assert files == [("image/png", sandbox.domain("media").files.lookup(url).data)]
    with Image.open(io.BytesIO(files[0][1])) as full:
        assert full.size == (1024, 768)


async def test_every_link_of_image_video_audio_and_edits_resolves_through_resources_read(
        media_server, sandbox, tmp_path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg(300, 200))
    async with connect(media_server()) as client:
        templates = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
        image = await client.call_tool("generate_image", {"prompt": "x", "width": 256, "height": 256, "count": 2})
        first = await client.call_tool("generate_video", {"prompt": "a fox", "model": "animatediff", "duration": 2,
                                                          "max_wait_seconds": 50})
        video = await client.call_tool("wait_for_task", {"task_id": first.structured_content["result"]["task_id"],
                                                         "max_wait_seconds": 50})
        speech = await client.call_tool("text_to_speech", {"text": "hello there"})
        edit = await client.call_tool("edit_image", {"operation": "remove_background", "image": str(photo)})
        read = {name: await _read_every_link(client, r)
                for name, r in [("image", image), ("video", video), ("speech", speech), ("edit", edit)]}
    assert "novita-media://{media_id}.png" in templates and "novita-media://{media_id}.mp4" in templates
    for r in (image, video, speech, edit):
        assert not r.is_error, r.content[0].text
        assert all(link.uri.startswith("novita-media://") for link in _links(r))
    assert [m for m, _ in read["image"]] == ["image/png", "image/png"]
    assert [m for m, _ in read["video"]] == ["video/mp4"] and read["video"][0][1][4:8] == b"ftyp"
    assert read["speech"][0][0].startswith("audio/") and len(read["speech"][0][1]) > 100
    assert read["edit"][0][0] == "image/png" and read["edit"][0][1][:4] == b"\x89PNG"


async def test_against_a_remote_api_a_file_is_downloaded_once_then_served_from_the_cache(
        sandbox, make_settings, state_dir) -> None:
    """As against the real API: no local copy at delivery (no output dir, not the in-process sandbox)."""
    async with serve_over_http(sandbox, latency=0.0) as base_url:
        server = http_server(sandbox, base_url, make_settings)
        async with connect(server) as client:
            result = await client.call_tool("generate_image", {"prompt": "x", "width": 256, "height": 256,
                                                               "preview": False})
            (link,) = _links(result)
            url = result.structured_content["result"]["files"][0]["url"]
            path = url.split(base_url, 1)[1]
            fetched = lambda: [r for r in sandbox.state.requests if r.path == path.split("?")[0]]  # noqa: E731
            assert fetched() == []  # nothing downloaded yet
            first = await client.read_resource(link.uri)
            again = await client.read_resource(link.uri)
    assert len(fetched()) == 1
    assert first.contents[0].blob == again.contents[0].blob
    assert base64.b64decode(first.contents[0].blob)[:4] == b"\x89PNG"
    assert list((state_dir / "media-cache").glob("*.png"))


async def test_an_unknown_or_malformed_id_is_a_clear_error_and_reads_nothing(media_server) -> None:
    from mcp.shared.exceptions import MCPError

    async with connect(media_server()) as client:
        for uri in ["novita-media://AAAAAAAAAAAAAAAAAAAAAAAA.png", "novita-media://..%2F..%2Fetc%2Fpasswd.png"]:
            with pytest.raises(MCPError):
                await client.read_resource(uri)


def test_the_cache_is_capped_and_drops_the_oldest_downloads_first(tmp_path: Path) -> None:
    import os

    store = MediaStore(tmp_path / "cache", cap_bytes=2500)
    uris = [store.register("image", "png", url=f"https://example.com/{i}.png", data=bytes(1000)) for i in range(3)]
    for i, p in enumerate(sorted((tmp_path / "cache").glob("*.png"))):
        os.utime(p, (1000 + i, 1000 + i))
    store.register("image", "png", url="https://example.com/3.png", data=bytes(1000))
    cached = list((tmp_path / "cache").glob("*.png"))
    assert sum(p.stat().st_size for p in cached) <= 2500 and len(cached) == 2
    # a restarted server (a fresh store) still knows every id it handed out
    fresh = MediaStore(tmp_path / "cache")
    assert all(fresh.lookup(u.split("://")[1].rsplit(".", 1)[0]) is not None for u in uris)
