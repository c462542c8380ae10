"""Reimagine, Merge Face and Image to Prompt in the sandbox: real output, charged once, bad input refused."""

from __future__ import annotations

import base64

import httpx
import pytest

from novita_mcp.client.media_formats import sniff
from novita_mcp.pricing.media import price_usd
from novita_mcp.sandbox.media_encode import jpeg, png

pytestmark = pytest.mark.anyio


def _http(sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(),
                             headers={"Authorization": f"Bearer {sandbox.api_key}"})


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_reimagine_answers_a_new_image_of_the_same_size_in_the_asked_type(sandbox) -> None:
    before = sandbox.state.balance_units
    async with _http(sandbox) as http:
        r = await http.post("/v3/reimagine", json={"image_file": b64(png(320, 200, 1)),
                                                   "extra": {"response_image_type": "webp"}})
    out = base64.b64decode(r.json()["image_file"])
    assert (r.json()["image_type"], sniff(out).format, sniff(out).width, sniff(out).height) == ("webp", "webp", 320,
                                                                                               200)
    assert before - sandbox.state.balance_units == price_usd("reimagine") * 10_000


async def test_merge_face_keeps_the_target_size_and_needs_a_face_image(sandbox) -> None:
    async with _http(sandbox) as http:
        merged = await http.post("/v3/merge-face", json={"image_file": b64(jpeg(400, 300)),
                                                         "face_image_file": b64(png(128, 128))})
        before = sandbox.state.balance_units
        missing = await http.post("/v3/merge-face", json={"image_file": b64(jpeg(400, 300))})
    out = base64.b64decode(merged.json()["image_file"])
    assert (sniff(out).width, sniff(out).height) == (400, 300)
    assert (missing.status_code, missing.json()["reason"]) == (400, "INVALID_REQUEST_BODY")
    assert "face_image_file" in missing.json()["message"] and sandbox.state.balance_units == before


async def test_img2prompt_gives_one_image_one_prompt_and_another_image_another(sandbox) -> None:
    async with _http(sandbox) as http:
        first = (await http.post("/v3/img2prompt", json={"image_file": b64(png(640, 360, 1))})).json()
        again = (await http.post("/v3/img2prompt", json={"image_file": b64(png(640, 360, 1))})).json()
        other = (await http.post("/v3/img2prompt", json={"image_file": b64(png(360, 640, 9))})).json()
    assert first == again and first["prompt"] != other["prompt"]
    assert "wide" in first["prompt"] and "tall" in other["prompt"]
    assert [c.product_name for c in sandbox.state.charges[-3:]] == ["img2prompt"] * 3


async def test_a_file_that_is_not_an_image_is_refused_and_not_charged(sandbox) -> None:
    before = sandbox.state.balance_units
    async with _http(sandbox) as http:
        r = await http.post("/v3/img2prompt", json={"image_file": b64(b"GIF89a" + b"\0" * 20)})
    assert (r.status_code, r.json()["reason"]) == (400, "INVALID_IMAGE_FORMAT")
    assert sandbox.state.balance_units == before
