"""Generated media as MCP resources: every ``resource_link`` a media tool returns can be read.

A delivered file gets an unguessable id and the URI ``novita-media://<id>.<ext>`` (one resource
template per file type, so ``resources/read`` answers with the right MIME type). Reading it
serves, in this order: the copy the server saved (output dir, or the sandbox's files), the
cached download, or - once - a download of Novita's URL through the client's download helper
(size-capped, URL policy checked, never with the API key for foreign hosts), which is then
cached in ``<state dir>/media-cache``. The cache is bounded: past ``CACHE_MAX_BYTES`` the
oldest cached files are removed (the server's own saved files never are).

The index (``index.jsonl`` in the cache folder) lets a restarted server still resolve links it
handed out, as long as the URL or file behind them exists.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context

from novita_mcp.client.media_formats import MIME

__all__ = ["MediaStore", "media_store", "register_media_resources", "SCHEME", "CACHE_MAX_BYTES", "uri_for"]

log = logging.getLogger("novita_mcp.media_resources")

SCHEME = "novita-media"
CACHE_MAX_BYTES = 256 * 1024 * 1024
READ_MAX_BYTES = 512 * 1024 * 1024
READ_DEADLINE = 30.0
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_EXT = {"jpeg": "jpg"}
_FORMATS = {**{_EXT.get(f, f): f for f in MIME}, "bin": ""}


def _ext(fmt: str) -> str:
    return _EXT.get(fmt, fmt) if fmt in MIME else "bin"


def uri_for(media_id: str, fmt: str) -> str:
    return f"{SCHEME}://{media_id}.{_ext(fmt)}"


@dataclass
class Entry:
    id: str
    kind: str
    fmt: str
    url: str | None = None
    path: str | None = None


class MediaStore:
    """The media this server handed out, by id; reads them back once, from a bounded cache."""

    def __init__(self, folder: Path, cap_bytes: int = CACHE_MAX_BYTES) -> None:
        self.folder = folder
        self.cap_bytes = cap_bytes
        self._entries: dict[str, Entry] = {}

    @property
    def _index(self) -> Path:
        return self.folder / "index.jsonl"

    def register(self, kind: str, fmt: str, *, url: str | None = None, path: str | None = None,
                 data: bytes | None = None) -> str:
        """A new resource URI for one delivered file; ``data`` (when already downloaded) is cached."""
        entry = Entry(secrets.token_urlsafe(18), kind, fmt if fmt in MIME else "", url, path)
        self._entries[entry.id] = entry
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self._index.open("a", encoding="utf-8") as f:
                f.write(json.dumps(asdict(entry)) + "\n")
            if data is not None and path is None:
                self._cache(entry, data)
        except OSError as exc:  # the link still works within this process
            log.warning("media index not written: %s", exc)
        return uri_for(entry.id, entry.fmt)

    def lookup(self, media_id: str) -> Entry | None:
        if not _ID.match(media_id):
            return None
        if media_id in self._entries:
            return self._entries[media_id]
        try:
            lines = self._index.read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        for line in lines:
            try:
                raw = json.loads(line)
            except ValueError:
                continue
            if raw.get("id") == media_id:
                entry = Entry(**{k: raw.get(k) for k in ("id", "kind", "fmt", "url", "path")})
                self._entries[media_id] = entry
                return entry
        return None

    def _cached(self, entry: Entry) -> Path:
        return self.folder / f"{entry.id}.{_ext(entry.fmt)}"

    def _cache(self, entry: Entry, data: bytes) -> None:
        if len(data) > self.cap_bytes:
            return
        self._cached(entry).write_bytes(data)
        self._trim()

    def _trim(self) -> None:
        files = sorted((p for p in self.folder.iterdir() if p.is_file() and p.name != "index.jsonl"),
                       key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        for p in files:
            if total <= self.cap_bytes:
                break
            total -= p.stat().st_size
            p.unlink(missing_ok=True)

    def local_bytes(self, entry: Entry) -> bytes | None:
        for candidate in (entry.path, str(self._cached(entry))):
            if candidate:
                try:
                    return Path(candidate).read_bytes()
                except OSError:
                    continue
        return None

    async def read(self, app: Any, media_id: str) -> bytes:
        """The file's bytes; raises ``ResourceError`` with a reason when it cannot be had."""
        from mcp.server.mcpserver.exceptions import ResourceError

        from novita_mcp.client.errors import NovitaError

        entry = self.lookup(media_id)
        if entry is None:
            raise ResourceError(f"{SCHEME}://{media_id}: no such generated file on this server.")
        data = self.local_bytes(entry)
        if data is not None:
            return data
        if not entry.url:
            raise ResourceError(f"The file behind {SCHEME}://{media_id} is gone from this machine.")
        try:
            data, _ = await app.client.http.get_bytes(entry.url, max_bytes=READ_MAX_BYTES, deadline=READ_DEADLINE)
        except NovitaError as exc:
            raise ResourceError(f"Could not download the generated {entry.kind}: {exc.message} "
                                "(Novita's links expire; generate it again if it has.)") from None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._cache(entry, data)
        except OSError as exc:
            log.warning("media cache not written: %s", exc)
        return data


def media_store(app: Any) -> MediaStore:
    """This server's store (one per lifespan; the index on disk outlives it)."""
    store = app.media_store
    if not isinstance(store, MediaStore):
        store = MediaStore(Path(app.settings.state_dir).expanduser() / "media-cache")
        app.media_store = store
    return store


def register_media_resources(server: Any) -> None:
    """One resource template per file type: ``novita-media://{media_id}.<ext>``."""
    from novita_mcp.toolkit import services

    for ext, fmt in _FORMATS.items():
        mime = MIME.get(fmt, "application/octet-stream")

        async def read(media_id: str, ctx: Context) -> bytes:
            return await media_store(services(ctx)).read(services(ctx), media_id)

        server.resource(f"{SCHEME}://{{media_id}}.{ext}", name=f"generated-{ext}", title=f"Generated file (.{ext})",
                        description="An image, video or audio file a media tool generated.", mime_type=mime)(read)
