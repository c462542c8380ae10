"""Toolset ``media``: images (``images``), video and audio (``av``), face merge, reimagine and
describe (``vision``), and following async tasks (``tasks``).

The toolset's id, description and default are declared here, once; its tool modules are
imported only when the toolset is loaded.
"""

from __future__ import annotations

from novita_mcp.toolkit import Toolset, ToolSpec

__all__ = ["TOOLSET"]


def _tools() -> tuple[ToolSpec, ...]:
    from novita_mcp.tools.media.av import generate_video, text_to_speech, transcribe_audio
    from novita_mcp.tools.media.images import edit_image, generate_image, list_image_models
    from novita_mcp.tools.media.tasks import get_task, wait_for_task
    from novita_mcp.tools.media.vision import describe_image, merge_face, reimagine_image

    return (
        generate_image, edit_image, generate_video, text_to_speech, transcribe_audio, get_task, wait_for_task,
        list_image_models, reimagine_image, merge_face, describe_image,
    )


TOOLSET = Toolset(
    id="media",
    description="Images, video and speech: generate, edit, transcribe; async tasks with progress.",
    default=True,
    load=_tools,
)
