"""Media in and out for the media tools: inputs checked before upload, outputs as links and files, waiting.

* An input is a URL, a local file path or base64 (optionally a data URI). A local file or
  base64 is checked against the endpoint's documented limits (size, format, resolution)
  before anything is sent, so a wrong file costs nothing and reaches nobody.
* What an input may name is decided by ``novita_mcp.urlpolicy`` before anything is fetched or
  opened: URLs must be public http(s) (checked even when Novita, not us, fetches them), and
  local paths are read on stdio but, for a call that came over HTTP, only under
  ``NOVITA_MCP_FILES_DIR`` - with one answer for refused and missing paths.
* An output is a URL plus a ``ResourceLink`` to a ``novita-media://`` resource (served by
  ``novita_mcp.media_resources``) with its MIME type; the first image also comes as a small
  inline preview (``novita_mcp.previews``) unless the call says ``preview=false``. With
  ``NOVITA_MCP_OUTPUT_DIR`` set a file is also downloaded there (without the API key for
  foreign hosts). Base64 answers (synchronous edits) are written to a file, never inlined,
  as are outputs of the in-process sandbox, whose URLs only resolve inside the server
  (both into the output dir, else ``<state dir>/media``).
* Waiting is bounded, reports progress, and pauses through the server's hooks
  (``hooks.sleep``, ``hooks.poll_interval``) so tests can drive it from the sandbox clock.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ContentBlock, ImageContent, ResourceLink
from pydantic import BaseModel, Field

from novita_mcp.client.errors import NovitaError, URLRefusedError
from novita_mcp.client.media import TaskResult
from novita_mcp.client.media_formats import (
    MIME,
    AudioLimits,
    ImageLimits,
    MediaInfo,
    sniff,
)
from novita_mcp.media_resources import media_store
from novita_mcp.previews import image_preview
from novita_mcp.settings import SANDBOX_BASE_URL
from novita_mcp.toolkit import Context, Services, services, shown
from novita_mcp.tools._common import iso
from novita_mcp.tools._polling import wait_until
from novita_mcp.urlpolicy import PathPolicy, URLPolicy

__all__ = ["Source", "describe_input", "image_source", "audio_source", "MediaFile", "Delivery", "deliver_urls",
           "deliver_bytes", "wait_for", "ttl_of", "PREVIEW_MAX_BYTES", "DOWNLOAD_MAX_BYTES",
           "is_remote", "url_policy", "load_bytes", "checked_url"]

log = logging.getLogger("novita_mcp.tools.media")

PREVIEW_MAX_BYTES = 60_000  # an inline preview (novita_mcp.previews), base64 in the result
PREVIEW_SOURCE_MAX_BYTES = 40 * 1024 * 1024  # the most downloaded just to make a preview
DOWNLOAD_MAX_BYTES = 512 * 1024 * 1024
# A whole download, inside one tool call that clients give up on after ~60 s.
DOWNLOAD_DEADLINE = 30.0
_B64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")


@dataclass(frozen=True)
class Source:
    """A checked input: either a URL to pass on, or bytes to send as base64."""

    url: str | None
    data: bytes | None
    info: MediaInfo

    @property
    def b64(self) -> str:
        assert self.data is not None
        return base64.b64encode(self.data).decode()

    @property
    def data_uri(self) -> str:
        return f"data:{MIME.get(self.info.format, 'application/octet-stream')};base64,{self.b64}"

    def url_or_data_uri(self) -> str:
        return self.url or self.data_uri


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def _is_path(value: str) -> bool:
    if len(value) > 4096:
        return False
    try:
        return Path(value).expanduser().is_file()
    except OSError:
        return False


def describe_input(value: str) -> str:
    """An input as the user should see it in a confirmation: the URL, the file, or the size of inline data.

    Decided on the text alone: looking at the disk here would tell a remote caller what exists.
    """
    value = value.strip()
    if value.startswith(("http://", "https://")):
        return shown(value, limit=200)
    if value.startswith("data:") or _b64(value) is not None:
        return f"inline data ({max(1, len(value) * 3 // 4 // 1024)} KB)"
    return f"local file {shown(value, limit=300)}"


def is_remote(ctx: Context) -> bool:
    """Did this call come over HTTP (someone else's machine), rather than stdio or in-process?"""
    try:
        request_context = ctx.request_context
    except (AttributeError, ValueError):
        return True  # no context to tell: treat as remote, the safe side
    if getattr(request_context, "request", None) is not None:
        return True
    kind = getattr(getattr(ctx, "transport", None), "kind", "") or ""
    return "http" in kind or "sse" in kind


def url_policy(app: Services) -> URLPolicy:
    """The policy for URLs named by arguments: Novita's own origins trusted, every other host checked.

    ``hooks.resolve`` replaces DNS in tests (an async ``(host, port) -> [addresses]``).
    """
    return URLPolicy(trusted=app.client.http.trusted_origins, resolve=app.hooks.resolve)


async def checked_url(app: Services, value: str, name: str) -> str:
    """``value`` if the URL policy allows it (Novita will fetch it), else a tool error naming ``name``."""
    try:
        await url_policy(app).check(value)
    except URLRefusedError as exc:
        raise ToolError(f"{name}: {exc.message} Nothing was sent.") from None
    return value


async def load_bytes(ctx: Context, value: str, name: str, max_bytes: int) -> bytes:
    """The bytes of a URL or a local file named by an argument, within the policies and ``max_bytes``."""
    app = services(ctx)
    value = value.strip()
    if _is_url(value):
        return await _fetch(app, value, name, max_bytes)
    path = PathPolicy(app.settings.files_dir).resolve(value, remote=is_remote(ctx))
    if path is None:
        raise ToolError(_no_file(app, ctx, value, name))
    return _read_file(path, name, max_bytes)


def _is_url(value: str) -> bool:
    head = value[:12].lower()
    return head.startswith(("http://", "https://")) or ("://" in value[:40] and not value.startswith("/"))


def _no_file(app: Services, ctx: Context, value: str, name: str) -> str:
    if is_remote(ctx):
        return PathPolicy(app.settings.files_dir).refusal(name)
    return f"{name}: {value[:120]!r} is neither a URL, an existing local file, nor base64 data."


def _read_file(path: Path, name: str, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise ToolError(f"{name}: {path.name} is {_mb(size)}; this operation accepts at most {_mb(max_bytes)}. "
                        "Nothing was sent.")
    return path.read_bytes()


async def _fetch(app: Services, value: str, name: str, max_bytes: int) -> bytes:
    try:
        data, _ = await app.client.http.get_bytes(value, max_bytes=max_bytes, policy=url_policy(app),
                                                  deadline=DOWNLOAD_DEADLINE)
    except URLRefusedError as exc:
        raise ToolError(f"{name}: {exc.message} Nothing was sent.") from None
    except NovitaError as exc:
        raise ToolError(f"{name}: could not download it ({exc.message}) Next step: {exc.next_step} "
                        "Nothing was sent.") from None
    return data


def _b64(value: str) -> bytes | None:
    compact = re.sub(r"\s+", "", value)
    if not compact or len(compact) % 4 or not _B64.match(compact):
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


async def _raw(ctx: Context, value: str, name: str, max_bytes: int,
               need_bytes: bool) -> tuple[str | None, bytes | None]:
    app = services(ctx)
    value = value.strip()
    if _is_url(value):
        if not need_bytes:
            return await checked_url(app, value, name), None
        return None, await _fetch(app, value, name, max_bytes)
    if value.startswith("data:"):
        value = value.split(",", 1)[-1]
    elif is_remote(ctx):
        # Over HTTP the server's disk is not the caller's: base64 first, decided on the text alone,
        # then a path only if the policy allows it - nothing is looked at before that.
        data = _b64(value)
        if data is not None:
            return None, data
        path = PathPolicy(app.settings.files_dir).resolve(value, remote=True)
        if path is None:
            raise ToolError(_no_file(app, ctx, value, name))
        return None, _read_file(path, name, max_bytes)
    elif _is_path(value) or (len(value) < 4096 and not _B64.match(value)):
        path = Path(value).expanduser()
        if not path.is_file():
            raise ToolError(_no_file(app, ctx, value, name))
        return None, _read_file(path, name, max_bytes)
    try:
        return None, base64.b64decode(re.sub(r"\s+", "", value), validate=True)
    except (binascii.Error, ValueError):
        raise ToolError(f"{name}: the value is not valid base64, a URL or a local file path.") from None


async def image_source(ctx: Context, value: str, name: str, limits: ImageLimits, *, need_bytes: bool) -> Source:
    """Resolve and check an image input. ``need_bytes``: the endpoint takes base64 only, so URLs are fetched."""
    url, data = await _raw(ctx, value, name, limits.max_bytes, need_bytes)
    if data is None:
        return Source(url, None, MediaInfo("image", ""))
    if len(data) > limits.max_bytes:
        raise ToolError(f"{name} is {_mb(len(data))}; at most {_mb(limits.max_bytes)} is accepted. Nothing was sent.")
    info = sniff(data)
    if info.kind != "image" or info.format not in limits.formats:
        raise ToolError(f"{name} is {info.format or 'not a recognised image'}; accepted formats: "
                        f"{', '.join(limits.formats)}. Nothing was sent.")
    if info.pixels > limits.max_pixels or (limits.max_side and max(info.width, info.height) > limits.max_side):
        side = f" and at most {limits.max_side} px a side" if limits.max_side else ""
        raise ToolError(f"{name} is {info.width}x{info.height}; at most {limits.max_pixels // 1_000_000} MP{side} "
                        "is accepted. Nothing was sent.")
    if min(info.width, info.height) < limits.min_side:
        raise ToolError(f"{name} is {info.width}x{info.height}; each side must be at least {limits.min_side} px. "
                        "Nothing was sent.")
    return Source(None, data, info)


async def audio_source(ctx: Context, value: str, name: str, limits: AudioLimits) -> Source:
    url, data = await _raw(ctx, value, name, limits.max_bytes, need_bytes=False)
    if data is None:
        return Source(url, None, MediaInfo("audio", ""))
    info = sniff(data)
    if info.kind != "audio" or info.format not in limits.formats:
        raise ToolError(f"{name} is {info.format or 'not a recognised audio file'}; accepted formats: "
                        f"{', '.join(limits.formats)}. Nothing was sent.")
    return Source(None, data, info)


class MediaFile(BaseModel):
    kind: Literal["image", "video", "audio"]
    url: str = Field(description="Where to fetch the file; signed and temporary.")
    mime_type: str
    expires_at: str | None = Field(None, description="UTC time after which the URL stops working.")
    local_path: str | None = Field(None, description="Where the file was saved on this machine, if it was.")
    note: str | None = None


@dataclass
class Delivery:
    files: list[MediaFile]
    blocks: list[ContentBlock]


_EXT = {"jpeg": "jpg"}


def _target_dir(app: Services, fallback: bool) -> Path | None:
    """The output dir; else, when a file must be kept anyway, ``<state dir>/media``."""
    if app.settings.output_dir is not None:
        folder = Path(app.settings.output_dir).expanduser()
    elif fallback:
        folder = Path(app.settings.state_dir).expanduser() / "media"
    else:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _save(folder: Path, stem: str, fmt: str, data: bytes) -> Path:
    path = folder / f"{stem}.{_EXT.get(fmt, fmt)}"
    path.write_bytes(data)
    return path


def _link(file: MediaFile, uri: str, name: str, size: int | None = None) -> ResourceLink:
    expiry = f"; URL expires {file.expires_at}" if file.expires_at else ""
    return ResourceLink(type="resource_link", name=name, uri=uri, mime_type=file.mime_type, size=size,
                        description=f"Generated {file.kind}{expiry}")


async def deliver_urls(app: Services, items: list[tuple[str, str, str, int]], *, stem: str,
                       preview: bool = True) -> Delivery:
    """Links (and downloads into the output dir) for ``(kind, url, format, ttl_seconds)`` outputs.

    Each link is a ``novita-media://`` resource that ``resources/read`` serves; the first image
    also comes as a small inline preview unless ``preview`` is False."""
    now = app.guard.clock()
    delivery = Delivery([], [])
    for i, (kind, url, fmt, ttl) in enumerate(items):
        fmt = fmt or url.split("?")[0].rsplit(".", 1)[-1].lower()
        mime = MIME.get(fmt, "application/octet-stream")
        file = MediaFile(kind=kind, url=url, mime_type=mime, expires_at=iso(now + ttl) if ttl > 0 else None)
        # The in-process sandbox's URLs resolve only inside this server: keep a local copy.
        in_process = url.startswith(SANDBOX_BASE_URL + "/")
        folder = _target_dir(app, fallback=in_process)
        data: bytes | None = None
        if folder is not None:
            try:
                data, _ = await app.client.http.get_bytes(url, max_bytes=DOWNLOAD_MAX_BYTES, deadline=DOWNLOAD_DEADLINE)
            except NovitaError as exc:  # the generation succeeded (and was paid): keep the link, say why
                log.warning("could not download %s output %d: %s", stem, i + 1, exc.message)
                file.note = f"Not downloaded: {exc.message}"
            else:
                file.local_path = str(_save(folder, f"{stem}-{i + 1}", fmt, data))
        wants_preview = preview and kind == "image" and i == 0
        if wants_preview and data is None:
            data = await _fetch_for_preview(app, url)
        uri = media_store(app).register(kind, fmt, url=url, path=file.local_path, data=data)
        delivery.files.append(file)
        delivery.blocks.append(_link(file, uri, f"{stem}-{i + 1}.{_EXT.get(fmt, fmt)}", len(data) if data else None))
        if wants_preview and data is not None:
            delivery.blocks.extend(_preview_blocks(data))
    return delivery


async def _fetch_for_preview(app: Services, url: str) -> bytes | None:
    try:
        data, _ = await app.client.http.get_bytes(url, max_bytes=PREVIEW_SOURCE_MAX_BYTES, deadline=10.0)
    except NovitaError:
        return None
    return data


def _preview_blocks(data: bytes) -> list[ContentBlock]:
    made = image_preview(data)
    if made is None:
        return []
    return [ImageContent(type="image", data=base64.b64encode(made[0]).decode(), mime_type=made[1])]


def deliver_bytes(app: Services, kind: str, fmt: str, data: bytes, *, stem: str, preview: bool = True) -> Delivery:
    """A base64 answer, written to the output dir (or the state dir) and linked as a resource."""
    folder = _target_dir(app, fallback=True)
    assert folder is not None
    path = _save(folder, f"{stem}-{secrets.token_hex(3)}", fmt, data)
    file = MediaFile(kind=kind, url=path.resolve().as_uri(), mime_type=MIME.get(fmt, "application/octet-stream"),
                     local_path=str(path))
    uri = media_store(app).register(kind, fmt, path=str(path))
    blocks: list[ContentBlock] = [_link(file, uri, path.name, len(data))]
    if preview and kind == "image":
        blocks.extend(_preview_blocks(data))
    return Delivery([file], blocks)


def ttl_of(value: int) -> int:
    return value if value > 0 else 3600


async def wait_for(ctx: Context, app: Services, task_id: str, max_wait: float,
                   fetch: Callable[[str], Awaitable[TaskResult]]) -> TaskResult:
    """Poll a task until it ends or ``max_wait`` seconds pass, reporting its own progress."""

    def describe(result: TaskResult) -> str:
        task = result.task
        state = task.status.removeprefix("TASK_STATUS_").lower()
        eta = f", about {int(task.eta)} s left" if task.eta and not result.finished else ""
        return f"{state} {float(task.progress_percent or 0):.0f}%{eta}"

    result, _ = await wait_until(ctx, fetch=lambda: fetch(task_id), done=lambda r: r.finished, describe=describe,
                                 max_wait=max_wait, percent=lambda r: float(r.task.progress_percent or 0))
    return result

