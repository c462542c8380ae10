"""GET /v3/model: filters and cursor pagination."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


def _http(sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(),
                             headers={"Authorization": f"Bearer {sandbox.api_key}"})


async def test_cursor_pagination_walks_every_model_once(sandbox) -> None:
    names, cursor = [], "c_0"
    async with _http(sandbox) as http:
        while cursor:
            body = (await http.get("/v3/model", params={"pagination.limit": 7, "pagination.cursor": cursor})).json()
            names += [m["sd_name"] for m in body["models"]]
            cursor = body["pagination"]["next_cursor"]
    assert len(names) == len(set(names)) == len(sandbox.domain("media").models.models)


async def test_filters_combine(sandbox) -> None:
    async with _http(sandbox) as http:
        sdxl_ckpt = (await http.get("/v3/model", params={"filter.types": "checkpoint", "filter.is_sdxl": "true",
                                                         "pagination.limit": 100})).json()["models"]
        loras = (await http.get("/v3/model", params={"filter.type": "lora", "filter.query": "detail"})).json()["models"]
        inpaint = (await http.get("/v3/model", params={"filter.is_inpainting": "true"})).json()["models"]
    assert sdxl_ckpt and all(m["is_sdxl"] and m["type"]["name"] == "checkpoint" for m in sdxl_ckpt)
    assert {m["sd_name"] for m in loras} == {"add_detail_44319", "more_details_59655"}
    assert inpaint and all(m["is_inpainting"] for m in inpaint)
    first = sdxl_ckpt[0]
    assert {"id", "name", "hash_sha256", "sd_name", "type", "categories", "status", "download_url", "tags",
            "cover_url", "source", "base_model", "base_model_type", "download_url_ttl", "sd_name_in_api",
            "is_sdxl"} <= set(first)


@pytest.mark.parametrize("params", [
    {"pagination.limit": 0}, {"pagination.limit": 101}, {"pagination.cursor": "page2"}, {"filter.types": "engine"},
    {"filter.visibility": "secret"}, {"filter.is_sdxl": "maybe"},
])
async def test_bad_filters_and_cursors_are_invalid_request_body(sandbox, params) -> None:
    async with _http(sandbox) as http:
        response = await http.get("/v3/model", params=params)
    assert (response.status_code, response.json()["reason"]) == (400, "INVALID_REQUEST_BODY")
