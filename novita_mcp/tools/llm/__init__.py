"""Toolset ``llm``: the model catalogue and chat (``chat``), embeddings and rerank (``embed``);
``catalogue`` is the cached models list the ``batch`` toolset shares.

The toolset's id, description and default are declared here, once; its tool modules are
imported only when the toolset is loaded.
"""

from __future__ import annotations

from novita_mcp.toolkit import Toolset, ToolSpec

__all__ = ["TOOLSET"]


def _tools() -> tuple[ToolSpec, ...]:
    from novita_mcp.tools.llm.chat import chat, list_models
    from novita_mcp.tools.llm.embed import embed, rerank

    return (
        list_models, chat, embed, rerank,
    )


TOOLSET = Toolset(
    id="llm",
    description="LLM models and prices, chat, embeddings, rerank.",
    default=True,
    load=_tools,
)
