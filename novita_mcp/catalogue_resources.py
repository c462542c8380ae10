"""Catalogues an agent or a user can attach: LLM models and prices, GPU products and prices, spend now.

Each resource is the structured answer of the read tool that knows it (``list_models``,
``list_gpu_products``, ``get_spend_now``), run through this server - so it shows exactly what
the tool would, under the same access rules: a resource is registered only when its tool is.
"""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError

__all__ = ["register_catalogue_resources", "CATALOGUES"]

MAX_PAGES = 10

# uri -> (tool, arguments, name, description)
CATALOGUES: dict[str, tuple[str, dict[str, Any], str, str]] = {
    "novita://catalogue/llm-models": (
        "list_models", {"limit": 100, "sort_by": "price"}, "llm-models",
        "Novita's LLM, embedding and rerank models with context size and USD per million tokens, cheapest first."),
    "novita://catalogue/gpu-products": (
        "list_gpu_products", {"limit": 100, "available_only": False}, "gpu-products",
        "GPU products with on-demand, spot and monthly prices in USD and the clusters that have stock."),
    "novita://account/spend-now": (
        "get_spend_now", {}, "spend-now",
        "What is costing money right now: running instances, subscriptions, storage."),
}


async def _collect(server: Any, tool: str, arguments: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """The tool's structured answer; pages (``next_offset``) are followed and their lists joined."""
    merged: dict[str, Any] | None = None
    args = dict(arguments)
    for _ in range(MAX_PAGES):
        result = await server.call_tool(tool, args, ctx)
        if getattr(result, "is_error", False) or result.structured_content is None:
            text = " ".join(getattr(b, "text", "") for b in result.content)
            raise ResourceError(f"{tool} failed: {text}")
        page = dict(result.structured_content)
        if merged is None:
            merged = page
        else:
            for key, value in page.items():
                if isinstance(value, list) and isinstance(merged.get(key), list):
                    merged[key].extend(value)
        nxt = (page.get("page") or {}).get("next_offset")
        if nxt is None:
            break
        args["offset"] = nxt
    assert merged is not None
    merged.pop("page", None)
    return merged


def register_catalogue_resources(server: Any, tool_names: set[str]) -> None:
    """``novita://catalogue/{name}`` and ``novita://account/{name}``, for the catalogues whose tool is here.

    Resource templates rather than fixed resources: the SDK (2.3) gives a fixed resource no request
    context, and a catalogue is read with the caller's session (its client, its access rules).
    """
    offered = {uri: spec for uri, spec in CATALOGUES.items() if spec[0] in tool_names}
    for group in ("catalogue", "account"):
        mine = {uri.rsplit("/", 1)[1]: spec for uri, spec in offered.items() if uri.startswith(f"novita://{group}/")}
        if not mine:
            continue
        listing = "; ".join(f"{name}: {spec[3]}" for name, spec in mine.items())
        server.resource(f"novita://{group}/{{name}}", name=f"novita-{group}", mime_type="application/json",
                        description=f"JSON, one of - {listing}")(_reader(server, mine))


def _reader(server: Any, mine: dict[str, tuple[str, dict[str, Any], str, str]]) -> Any:
    async def read(name: str, ctx: Context) -> str:
        if name not in mine:
            raise ResourceError(f"No such catalogue {name!r}; choose from: {', '.join(mine)}.")
        tool, arguments, _, _ = mine[name]
        return json.dumps(await _collect(server, tool, arguments, ctx), indent=1)

    return read
