"""A committed JSON snapshot of every tool's schema and annotations.

A change to any tool's name, arguments, output or annotations shows up here as a diff to
review. After an intended change, regenerate it with:

    UPDATE_SNAPSHOT=1 python -m pytest tests/test_schema_snapshot.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import connect

pytestmark = pytest.mark.anyio

SNAPSHOT = Path(__file__).with_name("tool_schemas.json")


async def _current(make_server) -> dict:
    async with connect(make_server(toolsets=["all"])) as client:
        tools = (await client.list_tools()).tools
    return {
        t.name: {
            "title": t.title,
            "annotations": t.annotations.model_dump(mode="json", exclude_none=True) if t.annotations else None,
            "input_schema": t.input_schema,
            "output_schema": t.output_schema,
        }
        for t in sorted(tools, key=lambda t: t.name)
    }


async def test_tool_schemas_match_the_committed_snapshot(make_server) -> None:
    current = await _current(make_server)
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert sorted(current) == sorted(expected), "tools added or removed: regenerate the snapshot"
    for name in current:
        assert current[name] == expected[name], f"schema of {name} changed: regenerate the snapshot"


async def test_every_tool_has_a_description_and_typed_output(make_server) -> None:
    async with connect(make_server(toolsets=["all"])) as client:
        tools = (await client.list_tools()).tools
    for t in tools:
        assert t.description and len(t.description) > 20, t.name
        assert t.output_schema is not None, t.name
        assert t.annotations is not None and t.annotations.read_only_hint is not None, t.name


async def test_billable_tools_are_never_read_only_and_destructive_ones_say_so(make_server) -> None:
    from novita_mcp.guard import Effect
    from novita_mcp.server import TOOLSETS

    for info in TOOLSETS:
        for spec in info.tools:
            ann = spec.annotations
            if Effect.BILLABLE in spec.effects:
                assert ann.read_only_hint is False, spec.name
            assert ann.destructive_hint == (Effect.DESTRUCTIVE in spec.effects), spec.name
            assert ann.read_only_hint == (spec.effects == {Effect.READ}), spec.name
