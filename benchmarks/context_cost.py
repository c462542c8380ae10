"""What an agent pays in context before doing anything: the size of ``tools/list``.

    python benchmarks/context_cost.py [--per-tool]

Tokens are estimated as JSON bytes / 4 (the measure the issue uses). "Model-visible" is a
tool's name + description + inputSchema; the whole ``tools/list`` adds titles, annotations
and outputSchema. Measured through the in-memory MCP client against the sandbox.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

__all__ = ["measure", "model_visible_bytes", "tools_list_bytes"]


def _compact(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def model_visible_bytes(tool: dict[str, Any]) -> int:
    """Bytes of what a model sees of one tool: name, description, inputSchema."""
    return _compact({"name": tool["name"], "description": tool.get("description"),
                     "inputSchema": tool["inputSchema"]})


def tools_list_bytes(tools: list[dict[str, Any]]) -> int:
    return _compact({"tools": tools})


async def list_tools_json(toolsets: list[str]) -> list[dict[str, Any]]:
    """The ``tools/list`` answer as wire JSON, from a sandbox server with ``toolsets``."""
    from novita_mcp.hooks import Hooks
    from novita_mcp.sandbox import Sandbox
    from novita_mcp.server import build_server
    from novita_mcp.settings import Settings

    sandbox = Sandbox()
    settings = Settings(api_key=sandbox.api_key, base_url=sandbox.base_url, state_dir=Path(tempfile.mkdtemp()),
                        toolsets=toolsets)
    server = build_server(settings, sandbox.transport(), hooks=Hooks(clock=sandbox.clock.now))
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


async def measure(toolsets: list[str]) -> dict[str, Any]:
    tools = await list_tools_json(toolsets)
    per_tool = {t["name"]: model_visible_bytes(t) // 4 for t in tools}
    return {"tools": len(tools), "model_tokens": sum(per_tool.values()), "per_tool": per_tool,
            "tools_list_bytes": tools_list_bytes(tools)}


def report(per_tool: bool = False) -> None:
    from novita_mcp.server import TOOLSETS

    print("context cost of tools/list (tokens = JSON bytes / 4)")
    for label, sets in [("default toolsets", ["default"]), ("all toolsets", ["all"])]:
        m = anyio.run(measure, sets)
        print(f"  {label:<18}: {m['tools']:3d} tools, model-visible {m['model_tokens']:6d} tokens "
              f"({m['model_tokens'] // max(1, m['tools'])}/tool), whole tools/list {m['tools_list_bytes']:7d} bytes "
              f"(~{m['tools_list_bytes'] // 4} tokens)")
        if per_tool and sets == ["all"]:
            for name, tokens in sorted(m["per_tool"].items(), key=lambda kv: -kv[1]):
                print(f"      {name:<32} {tokens:5d}")
    for info in TOOLSETS:
        m = anyio.run(measure, [info.id])
        # "default" is always added by an empty list only; a single id selects just that toolset.
        print(f"  toolset {info.id:<14}: {m['tools']:3d} tools, {m['model_tokens']:6d} tokens")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-tool", action="store_true")
    report(parser.parse_args().per_tool)


if __name__ == "__main__":
    main()
