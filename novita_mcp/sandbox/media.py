"""The media domain of the sandbox: image, video and audio generation (Novita's model-apis-* pages; docs/coverage.md).

This module wires the parts together: the state and shared helpers are ``media_core``; the
endpoints live in ``media_image``, ``media_vision``, ``media_video``, ``media_audio`` and
``media_models``, the task machine in ``media_tasks``, the files in ``media_files`` and the
prices in ``novita_mcp.pricing.media``.
"""

from __future__ import annotations

from typing import Any

from novita_mcp.sandbox import media_audio, media_image, media_models, media_video, media_vision
from novita_mcp.sandbox.media_core import MediaCore
from novita_mcp.sandbox.state import SandboxState

__all__ = ["MediaDomain"]


class MediaDomain(MediaCore):
    name = "media"

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.routes = [
            *self.files.routes,
            *self.tasks.routes,
            *media_models.routes(self.models),
            *media_image.routes(self),
            *media_vision.routes(self),
            *media_video.routes(self),
            *media_audio.routes(self),
        ]

    def settle(self, now: float) -> None:
        self.tasks.settle(now)
        self.files.purge(now)

    @property
    def webhooks(self) -> list[dict[str, Any]]:
        """Webhook deliveries the real API would have POSTed, in order."""
        return self.tasks.deliveries
