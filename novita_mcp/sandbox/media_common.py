"""Request checking shared by the media endpoints: fields, the ``extra`` object, image inputs.

Every refusal is Novita's ``INVALID_REQUEST_BODY`` (400) naming the field and the allowed
values, or one of the image-specific reasons of the basic-error-code page.
"""

from __future__ import annotations

import base64
import binascii
import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from novita_mcp.client.media_formats import ImageLimits, MediaInfo, sniff
from novita_mcp.sandbox.errors import SandboxError

if TYPE_CHECKING:
    from novita_mcp.sandbox.media_files import MediaFiles

__all__ = ["Check", "bad", "Extra", "parse_extra", "ImageIn", "read_image", "read_bytes", "FAIL_MARKER",
           "ILLEGAL_MARKER", "check_prompt", "parse_size", "fails"]

# Failure switches (documented in the README): a prompt containing FAIL_MARKER ends its
# task in TASK_STATUS_FAILED (a synchronous endpoint answers 500 TASK_FAILED); one
# containing ILLEGAL_MARKER is refused at once with 400 ILLEGAL_PROMPT.
FAIL_MARKER = "[fail]"
ILLEGAL_MARKER = "[illegal]"
_MISSING = object()


def bad(message: str) -> SandboxError:
    return SandboxError("media", "INVALID_REQUEST_BODY", message)


class Check:
    """Typed access to one JSON object's fields, refusing what the docs do not allow."""

    # The methods are named after the JSON types they read, which shadows the builtins in the
    # class body: annotations after them name ``builtins.*``.

    def __init__(self, body: Any, where: str = "") -> None:
        if not isinstance(body, dict):
            raise bad(f"{where.rstrip('.') or 'body'} must be a JSON object")
        self.body = body
        self.where = where

    def _get(self, name: str, required: bool) -> Any:
        value = self.body.get(name, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise bad(f"{self.where}{name} is required")
            return _MISSING
        return value

    def str(self, name: str, *, required: bool = False, max_len: int | None = None, min_len: int = 0,
            choices: tuple[str, ...] | None = None, default: Any = None) -> Any:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            raise bad(f"{self.where}{name} must be a string")
        if choices is not None and value not in choices:
            raise bad(f"{self.where}{name} must be one of {', '.join(choices)}; got {value!r}")
        if len(value) < min_len or (max_len is not None and len(value) > max_len):
            span = f"{min_len}-{max_len}" if max_len is not None else f"at least {min_len}"
            raise bad(f"{self.where}{name} must be {span} characters long; got {len(value)}")
        return value

    def int(self, name: builtins.str, *, required: builtins.bool = False, lo: builtins.int | None = None,
            hi: builtins.int | None = None, choices: tuple[builtins.int, ...] | None = None,
            default: Any = None) -> Any:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad(f"{self.where}{name} must be an integer")
        if choices is not None and value not in choices:
            raise bad(f"{self.where}{name} must be one of {', '.join(map(str, choices))}; got {value}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            span = f"between {lo} and {hi}" if lo is not None and hi is not None else (
                f"at least {lo}" if lo is not None else f"at most {hi}")
            raise bad(f"{self.where}{name} must be {span}; got {value}")
        return value

    def num(self, name: builtins.str, *, required: builtins.bool = False, lo: float | None = None,
            hi: float | None = None, lo_open: builtins.bool = False, default: Any = None) -> Any:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad(f"{self.where}{name} must be a number")
        low_fails = lo is not None and (value <= lo if lo_open else value < lo)
        if low_fails or (hi is not None and value > hi):
            parts = ([f"{'above' if lo_open else 'at least'} {lo}"] if lo is not None else []) + (
                [f"at most {hi}"] if hi is not None else [])
            raise bad(f"{self.where}{name} must be {' and '.join(parts)}; got {value}")
        return value

    def bool(self, name: builtins.str, default: builtins.bool = False) -> builtins.bool:
        value = self._get(name, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            raise bad(f"{self.where}{name} must be true or false")
        return value

    def list(self, name: builtins.str, *, required: builtins.bool = False, lo: builtins.int = 0,
             hi: builtins.int | None = None) -> builtins.list[Any]:
        value = self._get(name, required)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            raise bad(f"{self.where}{name} must be an array")
        if len(value) < lo or (hi is not None and len(value) > hi):
            raise bad(f"{self.where}{name} must hold {lo}-{hi} items; got {len(value)}")
        return value

    def obj(self, name: builtins.str, *, required: builtins.bool = False) -> Check | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        return Check(value, f"{self.where}{name}.")


def check_prompt(prompt: str | None) -> None:
    if prompt and ILLEGAL_MARKER in prompt:
        raise SandboxError("media", "ILLEGAL_PROMPT", "the prompt was refused by the content policy")


def fails(*texts: str | None) -> str:
    """The failure reason when a prompt carries the failure switch, else ''."""
    if any(t and FAIL_MARKER in t for t in texts):
        return "generation failed: the sandbox failure switch ([fail]) is in the prompt"
    return ""


def parse_size(value: str, sep: str, lo: int, hi: int, field: str) -> tuple[int, int]:
    parts = value.lower().split(sep)
    try:
        width, height = int(parts[0]), int(parts[1])
        if len(parts) != 2:
            raise ValueError
    except (ValueError, IndexError):
        raise bad(f"{field} must look like 1024{sep}1024; got {value!r}") from None
    if not (lo <= width <= hi and lo <= height <= hi):
        raise bad(f"{field}: width and height must be between {lo} and {hi}; got {value!r}")
    return width, height


@dataclass(frozen=True)
class Extra:
    image_type: str
    video_type: str
    nsfw: bool
    nsfw_level: int
    enterprise: bool
    webhook_url: str | None
    webhook_test_status: str | None
    seed_hint: int | None = None


def parse_extra(body: dict[str, Any]) -> Extra:
    """The common ``extra`` object (Novita docs: model-apis-txt2img and the other v3 pages)."""
    raw = body.get("extra")
    extra = Check(raw if raw is not None else {}, "extra.")
    image_type = extra.str("response_image_type", choices=("png", "webp", "jpeg"), default="png")
    video_type = extra.str("response_video_type", choices=("mp4", "gif"), default="mp4")
    nsfw = extra.bool("enable_nsfw_detection")
    level = extra.int("nsfw_detection_level", choices=(0, 1, 2), default=0)
    plan = extra.obj("enterprise_plan")
    enterprise = plan.bool("enabled") if plan else False
    hook = extra.obj("webhook")
    url = status = None
    if hook is not None:
        url = hook.str("url", required=True, min_len=1, max_len=2048)
        test = hook.obj("test_mode")
        if test is not None and test.bool("enabled"):
            status = test.str("return_task_status", choices=("TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"),
                              default="TASK_STATUS_SUCCEED")
    # custom_storage is optional, and so is aws_s3 inside it: the official SDK sends
    # ``custom_storage: {}`` on every v3 call. Only a given aws_s3 needs region, bucket and path.
    storage = extra.obj("custom_storage")
    s3 = storage.obj("aws_s3") if storage is not None else None
    if s3 is not None:
        for name in ("region", "bucket", "path"):
            if not s3.str(name, required=True):
                raise SandboxError("media", "INVALID_CUSTOM_OUTPUT_PATH",
                                   f"extra.custom_storage.aws_s3.{name} is empty")
        s3.bool("save_to_path_directly")
    return Extra(image_type, video_type, nsfw, level, enterprise, url, status)


@dataclass(frozen=True)
class ImageIn:
    info: MediaInfo
    size: int
    data: bytes | None  # None for a foreign URL (the sandbox does no network I/O)


def read_bytes(value: str, field: str) -> bytes:
    """Base64 or a data URI to bytes."""
    payload = value.split(",", 1)[1] if value.startswith("data:") and "," in value else value
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise bad(f"{field} is not valid base64") from None


def read_image(value: Any, field: str, limits: ImageLimits, files: MediaFiles, *, urls: bool = True) -> ImageIn:
    """Decode and check an image input: base64, a data URI or (when ``urls``) a URL.

    A URL this sandbox served is read back; any other URL is taken on trust as a
    1024x1024 PNG, since the sandbox makes no outgoing requests.
    """
    if not isinstance(value, str) or not value:
        raise bad(f"{field} is required")
    if value.startswith(("http://", "https://")):
        if not urls:
            raise bad(f"{field} must be base64 image data, not a URL")
        stored = files.lookup(value)
        if stored is None:
            return ImageIn(MediaInfo("image", "png", 1024, 1024), 0, None)
        data = stored.data
    else:
        data = read_bytes(value, field)
    if len(data) > limits.max_bytes:
        raise SandboxError("media", "IMAGE_FILE_EXCEEDS_MAX_SIZE",
                           f"{field} is {len(data)} bytes; the limit is {limits.max_bytes}")
    info = sniff(data)
    if info.kind != "image" or info.format not in limits.formats:
        raise SandboxError("media", "INVALID_IMAGE_FORMAT",
                           f"{field} must be one of {', '.join(limits.formats)}; got {info.format or 'unknown data'}")
    too_big = info.pixels > limits.max_pixels or (limits.max_side and max(info.width, info.height) > limits.max_side)
    if too_big:
        raise SandboxError("media", "IMAGE_EXCEEDS_MAX_RESOLUTION",
                           f"{field} is {info.width}x{info.height}, above the limit")
    if min(info.width, info.height) < limits.min_side:
        raise SandboxError("media", "INVALID_IMAGE_SIZE",
                           f"{field} is {info.width}x{info.height}; each side must be at least {limits.min_side}")
    return ImageIn(info, len(data), data)
