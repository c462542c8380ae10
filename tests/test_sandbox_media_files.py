"""Generated files: served without a key under /files/, with the request's host, until their TTL ends."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_a_file_is_public_until_its_ttl_then_403(sandbox) -> None:
    files = sandbox.domain("media").files
    url, stored = files.image("png", 32, 16, 1, base_url="http://sandbox.novita.invalid", ttl=60)
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        fresh = await http.get(url)
        sandbox.advance(61)
        expired = await http.get(url)
        missing = await http.get("http://sandbox.novita.invalid/files/media/0000/none.png")
    assert fresh.status_code == 200 and fresh.headers["content-type"] == "image/png" and fresh.content == stored.data
    assert expired.status_code == 403 and missing.status_code == 404
    assert files.lookup(url) is None


async def test_urls_use_the_host_the_request_came_to(sandbox) -> None:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://127.0.0.1:8787",
                                 headers={"Authorization": f"Bearer {sandbox.api_key}"}) as http:
        body = (await http.post("/v3beta/flux-1-schnell", json={"prompt": "p", "seed": 1, "steps": 1, "width": 64,
                                                                "height": 64, "image_num": 1})).json()
    assert body["images"][0]["image_url"].startswith("http://127.0.0.1:8787/files/media/")
    assert "X-Amz-Expires=604800" in body["images"][0]["image_url"]
