"""The schema cache that lets the server list its tools without building them (a fast start).

``novita_mcp/tools/tool_schemas.json`` must equal what the code builds, tool by tool. After
changing a tool, regenerate it with:

    UPDATE_SCHEMA_CACHE=1 python -m pytest tests/test_schema_cache.py
"""

from __future__ import annotations

import json
import os

import pytest

from novita_mcp.tools._prebuilt import CACHE_FILE, PrebuiltTool, cached_schemas, schema_entry
from novita_mcp.tools._register import build_tool, tool_object
from novita_mcp.tools.registry import TOOLSETS

from .conftest import connect

SPECS = [spec for toolset in TOOLSETS for spec in toolset.tools]


def test_the_cache_holds_what_the_code_builds_for_every_tool() -> None:
    built = {spec.name: schema_entry(build_tool(spec)) for spec in sorted(SPECS, key=lambda s: s.name)}
    if os.environ.get("UPDATE_SCHEMA_CACHE") == "1":
        CACHE_FILE.write_text(json.dumps(built, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
        cached_schemas.cache_clear()
    cached = json.loads(CACHE_FILE.read_text(encoding="utf-8"))
    assert sorted(cached) == sorted(built), "tools added or removed: regenerate the schema cache"
    for name, entry in built.items():
        assert cached[name] == entry, f"schemas of {name} changed: regenerate the schema cache"


def test_every_tool_is_listed_from_the_cache_as_the_built_tool_would_be() -> None:
    for spec in SPECS:
        listed, built = tool_object(spec), build_tool(spec)
        assert isinstance(listed, PrebuiltTool), spec.name
        for field in ("name", "title", "description", "parameters", "annotations", "output_schema"):
            assert getattr(listed, field) == getattr(built, field), (spec.name, field)


def test_a_first_call_takes_the_built_tools_call_machinery() -> None:
    spec = next(s for s in SPECS if not s.read_only)
    listed = PrebuiltTool.for_spec(spec, cached_schemas()[spec.name], lambda: build_tool(spec))
    assert "fn_metadata" not in listed.__dict__
    built = build_tool(spec)
    assert listed.fn_metadata is built.fn_metadata
    assert listed.resolved_params == built.resolved_params and listed.resolved_params, spec.name
    assert listed.fn is built.fn and listed.context_kwarg == built.context_kwarg


@pytest.mark.anyio
async def test_calls_through_cached_tools_validate_arguments_like_built_ones(make_server) -> None:
    async with connect(make_server(toolsets=["all"])) as client:
        result = await client.call_tool("list_gpu_products", {"gpus": 99})
        assert result.is_error and "gpus" in result.content[0].text
        result = await client.call_tool("list_gpu_products", {"gpus": 2})
        assert not result.is_error and result.structured_content is not None
