"""Toolset ``training``: LoRA training, style and subject (``lora``).

The toolset's id, description and default are declared here, once; its tool modules are
imported only when the toolset is loaded.
"""

from __future__ import annotations

from novita_mcp.toolkit import Toolset, ToolSpec

__all__ = ["TOOLSET"]


def _tools() -> tuple[ToolSpec, ...]:
    from novita_mcp.tools.training.lora import get_training, list_trainings, start_training, upload_training_images

    return (
        upload_training_images, start_training, get_training, list_trainings,
    )


TOOLSET = Toolset(
    id="training",
    description="LoRA training (style, subject): upload images, train, follow, list models.",
    default=False,
    load=_tools,
)
