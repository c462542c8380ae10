"""What a media file is, read from its first bytes, and the input limits Novita documents.

Shared by the tools (which check a local file before anything is uploaded) and the
sandbox (which refuses the same files the way Novita does). Stdlib only.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Literal

__all__ = ["MediaInfo", "sniff", "ImageLimits", "IMAGE_LIMITS", "AUDIO_LIMITS", "AudioLimits", "MIME", "ImageFormat"]

# The one spelling of this choice. typing caches `Literal[...] | None` by equality, and two
# Literals with the same values in another order are equal: with two spellings in the code,
# whichever was built first would decide the order in every tool schema.
ImageFormat = Literal["png", "jpeg", "webp"]

MIME = {
    "png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif",
    "mp4": "video/mp4", "wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "ogg": "audio/ogg",
    "m4a": "audio/mp4",
}


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # image | video | audio | unknown
    format: str  # png, jpeg, webp, gif, mp4, wav, mp3, flac, ogg, m4a, or "" when unknown
    width: int = 0
    height: int = 0

    @property
    def pixels(self) -> int:
        return self.width * self.height


def _png(data: bytes) -> MediaInfo:
    width, height = struct.unpack(">II", data[16:24]) if len(data) >= 24 else (0, 0)
    return MediaInfo("image", "png", width, height)


def _jpeg(data: bytes) -> MediaInfo:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return MediaInfo("image", "jpeg", width, height)
        i += 2 + length
    return MediaInfo("image", "jpeg")


def _webp(data: bytes) -> MediaInfo:
    chunk = data[12:16]
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return MediaInfo("image", "webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return MediaInfo("image", "webp", width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return MediaInfo("image", "webp", width, height)
    return MediaInfo("image", "webp")


def sniff(data: bytes) -> MediaInfo:
    """The type of ``data`` from its magic bytes, with pixel dimensions for images."""
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(data)
    if head.startswith(b"\xff\xd8\xff"):
        return _jpeg(data)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp(data)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return MediaInfo("audio", "wav")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        width, height = struct.unpack("<HH", data[6:10]) if len(data) >= 10 else (0, 0)
        return MediaInfo("image", "gif", width, height)
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return MediaInfo("audio", "m4a") if brand in (b"M4A ", b"M4B ") else MediaInfo("video", "mp4")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MediaInfo("audio", "mp3")
    if head.startswith(b"fLaC"):
        return MediaInfo("audio", "flac")
    if head.startswith(b"OggS"):
        return MediaInfo("audio", "ogg")
    return MediaInfo("unknown", "")


@dataclass(frozen=True)
class ImageLimits:
    """An endpoint's documented input limits (Novita's model-apis-* pages)."""

    max_bytes: int
    formats: tuple[str, ...] = ("png", "jpeg", "webp")
    max_pixels: int = 16 * 1024 * 1024
    max_side: int | None = None
    min_side: int = 1


_MB = 1024 * 1024

# Documented limits per input. Where the reference gives none (background removal, image
# references of Seedream/Vidu/Hailuo), 10 MB and the common formats are assumed.
IMAGE_LIMITS: dict[str, ImageLimits] = {
    "img2img": ImageLimits(10 * _MB),
    "inpaint": ImageLimits(10 * _MB),
    "upscale": ImageLimits(30 * _MB, max_side=2048),
    "cleanup": ImageLimits(30 * _MB),
    "remove_background": ImageLimits(30 * _MB),
    "replace_background": ImageLimits(30 * _MB),
    "remove_text": ImageLimits(30 * _MB),
    # Inferred: the pages of these three give no limits; those of the other sync utilities are taken.
    "reimagine": ImageLimits(30 * _MB),
    "merge_face": ImageLimits(30 * _MB),
    "img2prompt": ImageLimits(30 * _MB),
    "video_first_frame": ImageLimits(10 * _MB, formats=("png", "jpeg"), min_side=300),
    "svd": ImageLimits(10 * _MB),
    "reference": ImageLimits(10 * _MB, min_side=128),
}


@dataclass(frozen=True)
class AudioLimits:
    max_bytes: int
    formats: tuple[str, ...]


# Wan 2.5 audio: wav/mp3 up to 15 MB (documented). ASR limits are not documented: 25 MB
# and the usual formats are assumed.
AUDIO_LIMITS: dict[str, AudioLimits] = {
    "asr": AudioLimits(25 * _MB, ("wav", "mp3", "flac", "ogg", "m4a")),
    "wan_audio": AudioLimits(15 * _MB, ("wav", "mp3")),
}
