"""Tools listed from a cache and built on their first call: a fast start.

Importing the tool modules (their pydantic models, the client's, the guard) and building an
SDK ``Tool`` per tool (a pydantic argument model and two JSON schemas) were most of the
server's start-up beyond the SDK's own import. ``tools/list`` needs none of it: each
toolset's listing - names, titles, descriptions, annotations, schemas - is served from
``tool_schemas.json``, generated from the code and checked against it by
``tests/test_schema_cache.py``. A tool's module is imported and its real ``Tool`` built when
a call first needs it; that tool then does all the work.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import PrivateAttr

from novita_mcp.toolkit import Toolset, ToolSpec

if TYPE_CHECKING:
    from novita_mcp.tool_access import ToolAccess

__all__ = ["CACHE_FILE", "PrebuiltTool", "cached_listing", "listing_entry", "listed_tools"]

CACHE_FILE = Path(__file__).with_name("tool_schemas.json")

# The fields only a call reads: left unset here, they are taken from the built tool on first use.
_DEFERRED = frozenset({"fn", "fn_metadata", "is_async", "context_kwarg", "resolved_params", "resolver_plans"})


@functools.cache
def cached_listing() -> dict[str, list[dict[str, Any]]]:
    """Toolset id -> its tools' listing entries, in order; empty when the file is missing."""
    try:
        return json.loads(CACHE_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def listing_entry(spec: ToolSpec, tool: Tool) -> dict[str, Any]:
    """What the cache holds for a spec and its built tool."""
    annotations = tool.annotations.model_dump(mode="json", exclude_none=True) if tool.annotations else None
    return {"name": tool.name, "title": tool.title, "description": tool.description, "read_only": spec.read_only,
            "annotations": annotations, "input": tool.parameters, "output": tool.output_schema}


@dataclass(frozen=True)
class _Listed:
    """What the exposure rules read of a tool (``ToolAccess``)."""

    name: str
    read_only: bool


class PrebuiltTool(Tool):
    """A tool whose listing comes from the cache; anything a call reads builds the real one.

    ``Tool.run`` is inherited unchanged: its first read of a deferred field (``fn_metadata``)
    builds the real tool, whose call-time fields are then copied here, so argument validation,
    resolvers (elicitation) and output conversion are exactly the built tool's.
    """

    _build: Callable[[], Tool] = PrivateAttr()
    _output: dict[str, Any] | None = PrivateAttr(default=None)

    @classmethod
    def from_entry(cls, entry: dict[str, Any], build: Callable[[], Tool]) -> PrebuiltTool:
        annotations = None if entry["annotations"] is None else ToolAnnotations.model_validate(entry["annotations"])
        listed: dict[str, Any] = {"name": entry["name"], "title": entry["title"], "description": entry["description"],
                                  "parameters": entry["input"], "annotations": annotations, "icons": None, "meta": None}
        tool = cls.model_construct(**listed)
        for name in _DEFERRED:
            tool.__dict__.pop(name, None)  # model_construct fills defaults; these must come from the build
        tool._build = build
        tool._output = entry["output"]
        return tool

    @cached_property
    def output_schema(self) -> dict[str, Any] | None:
        return self._output

    def __getattr__(self, name: str) -> Any:
        if name in _DEFERRED:
            built = self._build()
            for field in _DEFERRED:
                self.__dict__[field] = getattr(built, field)
            return self.__dict__[name]
        return super().__getattr__(name)  # type: ignore[misc]  # pydantic's: private attributes, else AttributeError


def _build(toolset: Toolset, name: str) -> Tool:
    from novita_mcp.tools._register import build_tool

    return build_tool(next(spec for spec in toolset.tools if spec.name == name))


@functools.cache
def _prebuilt(toolset: Toolset, name: str) -> PrebuiltTool:
    entry = next(e for e in cached_listing()[toolset.id] if e["name"] == name)
    return PrebuiltTool.from_entry(entry, functools.partial(_build, toolset, name))


def listed_tools(toolsets: Iterable[Toolset], access: ToolAccess) -> list[Tool]:
    """The SDK tools of these toolsets that ``access`` exposes, in order: from the cache where
    it holds the toolset, else built now (a toolset added since the cache was generated)."""
    tools: list[Tool] = []
    for toolset in toolsets:
        entries = cached_listing().get(toolset.id)
        if entries is None:
            from novita_mcp.tools._register import build_tool

            tools += [build_tool(spec) for spec in toolset.tools if access.exposes(spec)]
            continue
        tools += [_prebuilt(toolset, e["name"]) for e in entries if access.exposes(_Listed(e["name"], e["read_only"]))]
    return tools
