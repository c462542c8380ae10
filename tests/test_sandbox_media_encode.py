"""The stdlib encoders write structurally valid files of the requested size.

(They were also checked once by decoding with Pillow and FFmpeg; these tests pin the
structure without those dependencies.)
"""

from __future__ import annotations

import io
import struct
import wave
import zlib

import pytest

from novita_mcp.client.media_formats import sniff
from novita_mcp.sandbox import media_encode


def _png_chunks(data: bytes) -> list[bytes]:
    kinds, i = [], 8
    while i < len(data):
        length = struct.unpack(">I", data[i:i + 4])[0]
        kind, body = data[i + 4:i + 8], data[i + 8:i + 8 + length]
        assert struct.unpack(">I", data[i + 8 + length:i + 12 + length])[0] == zlib.crc32(kind + body)
        kinds.append(kind)
        i += 12 + length
    return kinds


@pytest.mark.parametrize(("width", "height"), [(1, 1), (13, 7), (1024, 768), (4096, 4096)])
def test_png_has_valid_chunks_and_decompresses_to_the_right_number_of_rows(width: int, height: int) -> None:
    data = media_encode.png(width, height, seed=3)
    assert _png_chunks(data) == [b"IHDR", b"PLTE", b"IDAT", b"IEND"]
    raw = zlib.decompress(data[data.index(b"IDAT") + 4:])
    assert len(raw) == height * (1 + (width + 1) // 2)
    assert (sniff(data).width, sniff(data).height) == (width, height)


@pytest.mark.parametrize("fmt", ["jpeg", "webp", "gif"])
def test_other_image_formats_report_their_size(fmt: str) -> None:
    data = media_encode.gif(40, 30) if fmt == "gif" else media_encode.image(fmt, 40, 30)
    info = sniff(data)
    assert (info.format, info.width, info.height) == (fmt, 40, 30)


def test_jpeg_has_markers_in_baseline_order_and_no_unescaped_ff_in_the_scan() -> None:
    data = media_encode.jpeg(64, 64, seed=9)
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9" and b"\xff\xc0" in data
    scan = data[data.index(b"\xff\xda") + 14:-2]
    assert all(scan[i + 1] == 0 for i in range(len(scan) - 1) if scan[i] == 0xFF)


def test_mp4_boxes_nest_and_point_at_the_media_data() -> None:
    data = media_encode.mp4(320, 240, 2.0, fps=8)
    top, i = [], 0
    while i < len(data):
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        top.append(kind)
        i += size
    assert top == [b"ftyp", b"moov", b"mdat"] and i == len(data)
    offset = struct.unpack(">I", data[data.index(b"stco") + 12:data.index(b"stco") + 16])[0]
    assert data[offset - 4:offset] == b"mdat"
    assert struct.unpack(">I", data[data.index(b"stsz") + 12:data.index(b"stsz") + 16])[0] == 16
    assert sniff(data).format == "mp4"


def test_wav_lasts_as_long_as_asked() -> None:
    with wave.open(io.BytesIO(media_encode.wav(1.5, 8000))) as w:
        assert (w.getframerate(), w.getnframes(), w.getsampwidth()) == (8000, 12000, 2)
