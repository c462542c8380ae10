"""What the LLM and batch toolsets share: the model catalogue (cached), model lookup, prices."""

from __future__ import annotations

import difflib
from decimal import Decimal
from typing import TypeVar

from mcp.server.mcpserver.exceptions import ToolError

from novita_mcp.client.llm import LLMModel
from novita_mcp.toolkit import Services

__all__ = ["catalogue", "resolve_model", "per_m", "CATALOGUE_TTL_SECONDS"]

T = TypeVar("T")
CATALOGUE_TTL_SECONDS = 600.0


async def catalogue(app: Services) -> list[LLMModel]:
    """The models list from the API, cached in this server's lifespan for ten minutes.

    Quotes come from these prices, i.e. from Novita's own data, never from arguments.
    """
    now = app.hooks.clock()
    cached = app.llm_models
    if cached is not None and now - cached[0] < CATALOGUE_TTL_SECONDS:
        return cached[1]
    models = await app.client.llm.models()
    app.llm_models = (now, models)
    return models


def _suggest(name: str, candidates: list[LLMModel]) -> str:
    ids = [m.id for m in candidates]
    close = difflib.get_close_matches(name, ids, n=3, cutoff=0.4)
    if not close:
        tail = name.split("/")[-1].lower()
        close = [i for i in ids if tail and (tail in i.lower() or i.split("/")[-1].lower() in tail)][:3]
    return ", ".join(close) if close else ", ".join(ids[:5])


async def resolve_model(app: Services, name: str, kind: str) -> LLMModel:
    """The catalogue entry for ``name`` of ``kind`` (chat | embedding | rerank), or a tool error
    naming close matches; nothing is sent for the generation."""
    models = await catalogue(app)
    found = next((m for m in models if m.id == name), None)
    same_kind = [m for m in models if m.kind == kind]
    if found is None:
        raise ToolError(f"Unknown model {name!r}. Close matches: {_suggest(name, same_kind or models)}. "
                        "Use list_models to see every model. Nothing was sent.")
    if found.kind != kind:
        raise ToolError(f"{name} is a {found.kind} model, not a {kind} model. Try: "
                        f"{', '.join(m.id for m in same_kind[:5])}. Nothing was sent.")
    return found


def per_m(amount: Decimal) -> str:
    """A per-million price for people: $0.39/M."""
    text = f"{amount:f}".rstrip("0").rstrip(".") if amount else "0"
    if "." in text and len(text.split(".")[1]) < 2:
        text = f"{amount:.2f}"
    return f"${text}/M"

