"""Toolset ``batch``: many LLM requests as one batch (``batches``); its input is checked and
priced line by line before anything is uploaded (``lines``).

The toolset's id, description and default are declared here, once; its tool modules are
imported only when the toolset is loaded.
"""

from __future__ import annotations

from novita_mcp.toolkit import Toolset, ToolSpec

__all__ = ["TOOLSET"]


def _tools() -> tuple[ToolSpec, ...]:
    from novita_mcp.tools.batch.batches import cancel_batch, create_batch, get_batch, get_batch_results, list_batches

    return (
        create_batch, get_batch, list_batches, get_batch_results, cancel_batch,
    )


TOOLSET = Toolset(
    id="batch",
    description="LLM batches: run many chat requests asynchronously, follow, cancel, read results.",
    default=False,
    load=_tools,
)
