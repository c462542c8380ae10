"""Sniffing media types and image sizes from the first bytes."""

from __future__ import annotations

import struct

import pytest

from novita_mcp.client.media_formats import IMAGE_LIMITS, sniff
from novita_mcp.sandbox import media_encode


def test_images_report_format_and_size() -> None:
    assert (sniff(media_encode.png(31, 17)).format, sniff(media_encode.png(31, 17)).pixels) == ("png", 31 * 17)
    info = sniff(media_encode.jpeg(640, 480))
    assert (info.kind, info.format, info.width, info.height) == ("image", "jpeg", 640, 480)


def test_lossy_and_extended_webp_headers_give_their_size() -> None:
    vp8 = b"RIFF" + b"\0" * 4 + b"WEBPVP8 " + b"\0" * 4 + b"\0" * 6 + struct.pack("<HH", 800, 600)
    vp8x = b"RIFF" + b"\0" * 4 + b"WEBPVP8X" + b"\0" * 8 + (1919).to_bytes(3, "little") + (1079).to_bytes(3, "little")
    assert (sniff(vp8).width, sniff(vp8).height) == (800, 600)
    assert (sniff(vp8x).width, sniff(vp8x).height) == (1920, 1080)


@pytest.mark.parametrize(("head", "fmt"), [
    (b"ID3\x04" + b"\0" * 20, "mp3"), (b"\xff\xfb\x90" + b"\0" * 20, "mp3"), (b"fLaC" + b"\0" * 20, "flac"),
    (b"OggS" + b"\0" * 20, "ogg"), (b"\0\0\0\x20ftypM4A " + b"\0" * 20, "m4a"),
    (b"\0\0\0\x20ftypisom" + b"\0" * 20, "mp4"),
    (b"RIFF\0\0\0\0WAVEfmt " + b"\0" * 8, "wav"), (b"hello world, not media", ""),
])
def test_audio_video_and_unknown_data(head: bytes, fmt: str) -> None:
    assert sniff(head).format == fmt


def test_documented_limits_are_kept_per_operation() -> None:
    assert IMAGE_LIMITS["img2img"].max_bytes == 10 * 2**20 and IMAGE_LIMITS["upscale"].max_side == 2048
    first_frame = IMAGE_LIMITS["video_first_frame"]
    assert first_frame.formats == ("png", "jpeg") and first_frame.min_side == 300
