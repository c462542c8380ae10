"""Tools listed from a schema cache and built on their first call: a fast start.

Building an SDK ``Tool`` generates a pydantic argument model and two JSON schemas per tool -
most of the server's start-up beyond the SDK's own import. ``tools/list`` needs only the
schemas, so they are served from ``tool_schemas.json`` (generated from the code and checked
against it by ``tests/test_schema_cache.py``); the real ``Tool`` - argument model, resolvers,
output conversion - is built when a call first needs it, and then does all the work.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.tools import Tool
from pydantic import PrivateAttr

from novita_mcp.toolkit import ToolSpec

__all__ = ["CACHE_FILE", "PrebuiltTool", "cached_schemas", "schema_entry"]

CACHE_FILE = Path(__file__).with_name("tool_schemas.json")

# The fields only a call reads: left unset here, they are taken from the built tool on first use.
_DEFERRED = frozenset({"fn", "fn_metadata", "is_async", "context_kwarg", "resolved_params", "resolver_plans"})


@functools.cache
def cached_schemas() -> dict[str, dict[str, Any]]:
    """Tool name -> {"input": ..., "output": ...}; empty when the file is missing."""
    try:
        return json.loads(CACHE_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def schema_entry(tool: Tool) -> dict[str, Any]:
    """What the cache holds for a built tool."""
    return {"input": tool.parameters, "output": tool.output_schema}


class PrebuiltTool(Tool):
    """A tool whose listing comes from the cache; anything a call reads builds the real one.

    ``Tool.run`` is inherited unchanged: its first read of a deferred field (``fn_metadata``)
    builds the real tool, whose call-time fields are then copied here, so argument validation,
    resolvers (elicitation) and output conversion are exactly the built tool's.
    """

    _build: Callable[[], Tool] = PrivateAttr()
    _output: dict[str, Any] | None = PrivateAttr(default=None)

    @classmethod
    def for_spec(cls, spec: ToolSpec, entry: dict[str, Any], build: Callable[[], Tool]) -> PrebuiltTool:
        listed: dict[str, Any] = {"name": spec.name, "title": spec.title, "description": inspect.getdoc(spec.fn) or "",
                                  "parameters": entry["input"], "annotations": spec.annotations, "icons": None, "meta": None}
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
