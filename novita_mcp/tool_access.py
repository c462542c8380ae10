"""Which tools this server exposes: allow/deny lists and read-only mode, for every tool.

What is listed is exactly what may run. A tool hidden by a setting is not registered on the
MCP server at all, so nothing of it can run - read tools included - and a call to it by name
gets a refusal that names the setting (not a bare "unknown tool") and reaches no tool code
and no Novita endpoint. Names in the lists match case-insensitively and with ``-``/``_``
alike; a name that is no tool at all is a start-up error listing the valid ones.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from mcp.types import CallToolResult, TextContent

from novita_mcp.settings import Settings, tool_name_key

__all__ = ["ToolAccess", "all_tool_names"]

log = logging.getLogger("novita_mcp.tools")


def all_tool_names() -> list[str]:
    """Every tool of every toolset, whether selected or not."""
    from novita_mcp.tools.registry import TOOLSETS

    return sorted(spec.name for info in TOOLSETS for spec in info.tools)


class _Tool(Protocol):
    """What the rules read of a tool: a ``ToolSpec``, or its cached listing (``tools/_prebuilt.py``)."""

    @property
    def name(self) -> str: ...

    @property
    def read_only(self) -> bool: ...


class ToolAccess:
    """The exposure rules of one server; also its MCP middleware for calls to hidden tools."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._refused: dict[str, str] = {}
        named = {"NOVITA_MCP_ALLOW_TOOLS": settings.allow_tools or [], "NOVITA_MCP_DENY_TOOLS": settings.deny_tools}
        if any(named.values()):
            valid = all_tool_names()
            for variable, names in named.items():
                unknown = [n for n in names if n not in valid]
                if unknown:
                    raise ValueError(f"unknown tool {', '.join(map(repr, unknown))} in {variable}; "
                                     f"valid names: {', '.join(valid)}")

    def hidden_by(self, spec: _Tool) -> str | None:
        """The setting that hides ``spec``, as the user would write it; None when it is exposed."""
        name = tool_name_key(spec.name)
        if name in self._settings.deny_tools:
            return "NOVITA_MCP_DENY_TOOLS"
        if self._settings.allow_tools is not None and name not in self._settings.allow_tools:
            return "NOVITA_MCP_ALLOW_TOOLS"
        if self._settings.read_only and not spec.read_only:
            return "NOVITA_MCP_READ_ONLY"
        return None

    def exposes(self, spec: _Tool) -> bool:
        """Whether ``spec`` is listed and may run; a hidden one is remembered for its refusal."""
        setting = self.hidden_by(spec)
        if setting is not None:
            self._refused[spec.name] = setting
        return setting is None

    def refusal(self, name: str) -> str | None:
        setting = self._refused.get(name)
        if setting is None:
            return None
        why = {"NOVITA_MCP_DENY_TOOLS": "it is in NOVITA_MCP_DENY_TOOLS",
               "NOVITA_MCP_ALLOW_TOOLS": "it is not in NOVITA_MCP_ALLOW_TOOLS",
               "NOVITA_MCP_READ_ONLY": "the server runs in read-only mode (NOVITA_MCP_READ_ONLY)"}[setting]
        return (f"{name} is turned off on this server: {why}. Nothing was done and nothing was sent to Novita. "
                "Only the server's operator can change this setting.")

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        """MCP middleware: answer a call to a hidden tool before any tool code runs."""
        if ctx.method == "tools/call" and isinstance(ctx.params, dict):
            name = ctx.params.get("name")
            message = self.refusal(name) if isinstance(name, str) else None
            if message is not None and isinstance(name, str):
                from novita_mcp.client_logs import SESSION_KEY, session_key

                log.warning("refused a call to %s: %s", name, self._refused[name],
                            extra={SESSION_KEY: session_key(ctx.session)})
                return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)
        return await call_next(ctx)
