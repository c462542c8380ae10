"""The cache that lets the server list its tools without importing or building them (a fast start).

``novita_mcp/tools/tool_schemas.json`` must equal what the code builds, toolset by toolset and
tool by tool. After changing a tool, regenerate it with:

    UPDATE_SNAPSHOT=1 python -m pytest tests/test_schema_snapshot.py tests/test_schema_cache.py

(``UPDATE_SCHEMA_CACHE=1`` regenerates this cache alone.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from novita_mcp.tools._prebuilt import CACHE_FILE, PrebuiltTool, cached_listing, listing_entry
from novita_mcp.tools._register import build_tool
from novita_mcp.tools.registry import TOOLSETS

from .conftest import connect


def _built() -> dict[str, list[dict]]:
    return {toolset.id: [listing_entry(spec, build_tool(spec)) for spec in toolset.tools] for toolset in TOOLSETS}


def test_the_cache_holds_what_the_code_builds_for_every_tool() -> None:
    built = _built()
    if "1" in (os.environ.get("UPDATE_SCHEMA_CACHE"), os.environ.get("UPDATE_SNAPSHOT")):
        CACHE_FILE.write_text(json.dumps(built, separators=(",", ":")) + "\n", encoding="utf-8")
        cached_listing.cache_clear()
    cached = json.loads(CACHE_FILE.read_text(encoding="utf-8"))
    assert list(cached) == list(built), "toolsets added, removed or reordered: regenerate the schema cache"
    for toolset_id, entries in built.items():
        assert [e["name"] for e in cached[toolset_id]] == [e["name"] for e in entries], (
            f"tools of {toolset_id} added, removed or reordered: regenerate the schema cache")
        for got, want in zip(cached[toolset_id], entries, strict=True):
            assert got == want, f"listing of {want['name']} changed: regenerate the schema cache"


@pytest.mark.anyio
async def test_every_tool_is_listed_from_the_cache_as_the_built_tool_would_be(make_server) -> None:
    server = make_server(toolsets=["all"])
    specs = {spec.name: spec for toolset in TOOLSETS for spec in toolset.tools}
    listed = server._tool_manager.list_tools()  # noqa: SLF001 - the registered objects themselves
    assert [t.name for t in listed] == list(specs)
    for tool in listed:
        built = build_tool(specs[tool.name])
        assert isinstance(tool, PrebuiltTool), tool.name
        for field in ("name", "title", "description", "parameters", "annotations", "output_schema", "icons", "meta"):
            assert getattr(tool, field) == getattr(built, field), (tool.name, field)


def test_a_first_call_takes_the_built_tools_call_machinery() -> None:
    toolset = next(t for t in TOOLSETS if any(not s.read_only for s in t.tools))
    spec = next(s for s in toolset.tools if not s.read_only)
    entry = next(e for e in cached_listing()[toolset.id] if e["name"] == spec.name)
    listed = PrebuiltTool.from_entry(entry, lambda: build_tool(spec))
    assert "fn_metadata" not in listed.__dict__
    built = build_tool(spec)
    assert listed.fn_metadata is built.fn_metadata
    assert listed.resolved_params == built.resolved_params and listed.resolved_params, spec.name
    assert listed.fn is built.fn and listed.context_kwarg == built.context_kwarg


def test_listing_the_tools_imports_no_tool_module_and_no_client_domain() -> None:
    domains = ("account", "dedicated", "gpu", "gpu_models", "llm", "media", "network", "serverless", "training")
    code = ("import sys\n"
            "from novita_mcp.settings import Settings\n"
            "from novita_mcp.server import build_server\n"
            "build_server(Settings(api_key='sk_x'))\n"
            f"domains = {['novita_mcp.client.' + d for d in domains]!r}\n"
            "print(sorted(m for m in sys.modules if m in domains or m.startswith('novita_mcp.tools.')"
            " and m.count('.') >= 3))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout


@pytest.mark.anyio
async def test_calls_through_cached_tools_validate_arguments_like_built_ones(make_server) -> None:
    async with connect(make_server(toolsets=["all"])) as client:
        result = await client.call_tool("list_gpu_products", {"gpus": 99})
        assert result.is_error and "gpus" in result.content[0].text
        result = await client.call_tool("list_gpu_products", {"gpus": 2})
        assert not result.is_error and result.structured_content is not None


def test_a_toolset_missing_from_the_cache_is_built_at_start_up(monkeypatch, make_settings) -> None:
    from novita_mcp.tool_access import ToolAccess
    from novita_mcp.tools import _prebuilt

    listing = dict(cached_listing())
    missing = listing.pop("account")
    monkeypatch.setattr(_prebuilt, "cached_listing", lambda: listing)
    account = next(t for t in TOOLSETS if t.id == "account")
    tools = _prebuilt.listed_tools([account], ToolAccess(make_settings()))
    assert [t.name for t in tools] == [e["name"] for e in missing]
    assert not any(isinstance(t, PrebuiltTool) for t in tools)
    assert [t.parameters for t in tools] == [e["input"] for e in missing]
