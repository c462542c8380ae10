"""Generated media files, served like Novita's pre-signed output URLs.

Files live under ``/files/media/<id>/<name>`` (``/files/`` needs no API key, as signed S3
URLs need none). A URL carries ``X-Amz-Expires`` like the real ones and stops working
after its TTL (403, as S3 answers an expired signature). URLs are built from the base
URL of the request that produced them, so they work in-process and over HTTP alike.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from novita_mcp.client.media_formats import MIME
from novita_mcp.sandbox import media_encode
from novita_mcp.sandbox.state import SandboxState

__all__ = ["MediaFiles", "StoredFile", "IMAGE_TTL", "FLUX_TTL", "AUDIO_TTL"]

IMAGE_TTL = 3600  # seconds, the usual pre-signed lifetime (Novita docs: model-apis-task-result)
FLUX_TTL = 604800  # FLUX.1 schnell answers with a 7-day TTL (model-apis-flux-1-schnell)
AUDIO_TTL = 86400  # sync MiniMax speech URLs are valid 24 h (model-apis-minimax-speech-02-hd)


@dataclass
class StoredFile:
    id: str
    name: str
    fmt: str
    data: bytes
    created: float
    ttl: int
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def mime(self) -> str:
        return MIME.get(self.fmt, "application/octet-stream")


class MediaFiles:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.files: dict[str, StoredFile] = {}
        self.by_digest: dict[str, StoredFile] = {}
        self.expired: set[str] = set()
        self.routes = [Route("/files/media/{file_id}/{name}", self.serve, methods=["GET", "HEAD"])]

    def put(self, data: bytes, fmt: str, *, base_url: str, ttl: int, stem: str = "output",
            meta: dict[str, str] | None = None) -> tuple[str, StoredFile]:
        """Store ``data`` and return its signed-looking URL."""
        file_id = secrets.token_hex(8)
        ext = {"jpeg": "jpeg"}.get(fmt, fmt)
        stored = StoredFile(file_id, f"{stem}.{ext}", fmt, data, self.state.now(), ttl, dict(meta or {}))
        self.files[file_id] = stored
        self.by_digest[hashlib.sha256(data).hexdigest()] = stored
        url = (f"{base_url.rstrip('/')}/files/media/{file_id}/{stored.name}"
               f"?X-Amz-Expires={ttl}&X-Amz-Signature={secrets.token_hex(16)}")
        return url, stored

    def image(self, fmt: str, width: int, height: int, seed: int, *, base_url: str, ttl: int = IMAGE_TTL,
              stem: str = "image") -> tuple[str, StoredFile]:
        return self.put(media_encode.image(fmt, width, height, seed), fmt, base_url=base_url, ttl=ttl, stem=stem)

    def lookup(self, url: str) -> StoredFile | None:
        """A file this sandbox served, by its URL (any host), if it has not expired."""
        marker = "/files/media/"
        if marker not in url:
            return None
        file_id = url.split(marker, 1)[1].split("/", 1)[0]
        stored = self.files.get(file_id)
        if stored is None or self.state.now() > stored.created + stored.ttl:
            return None
        return stored

    def purge(self, now: float) -> None:
        """Drop the data of files whose URL has expired (a long-running sandbox would keep them all);
        their ids stay known, so the URL still answers 403 like an expired signature."""
        for file_id in [k for k, f in self.files.items() if now > f.created + f.ttl]:
            stored = self.files.pop(file_id)
            self.expired.add(file_id)
            digest = hashlib.sha256(stored.data).hexdigest()
            if self.by_digest.get(digest) is stored:
                del self.by_digest[digest]

    def find(self, data: bytes) -> StoredFile | None:
        return self.by_digest.get(hashlib.sha256(data).hexdigest())

    async def serve(self, request: Request) -> Response:
        stored = self.files.get(request.path_params["file_id"])
        if request.path_params["file_id"] in self.expired:
            return PlainTextResponse("AccessDenied: request has expired", status_code=403)
        if stored is None or stored.name != request.path_params["name"]:
            return PlainTextResponse("NoSuchKey: the specified key does not exist", status_code=404)
        if self.state.now() > stored.created + stored.ttl:
            return PlainTextResponse("AccessDenied: request has expired", status_code=403)
        return Response(stored.data, media_type=stored.mime,
                        headers={"Content-Disposition": f'inline; filename="{stored.name}"'})
