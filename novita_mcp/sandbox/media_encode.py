"""Small, real media files from the standard library: PNG, baseline JPEG, lossless WebP, MP4, WAV.

The pictures are simple on purpose (horizontal colour bands, or one colour for WebP) so
that any size encodes in milliseconds, yet every file opens in an ordinary viewer:

* PNG: 4-bit palette, 16 bands, zlib.
* JPEG: baseline, YCbCr 4:4:4, bands aligned to 8-pixel blocks so each block holds only a
  DC coefficient (the AC table needs a single end-of-block code).
* WebP: VP8L lossless with one-symbol prefix codes, so the pixel data takes zero bits.
* MP4: H.264 baseline; an IDR frame of DC-predicted grey macroblocks, then P frames that
  skip every macroblock; boxes written by hand.
* WAV: 16-bit mono tones through ``wave``.
"""

from __future__ import annotations

import array
import io
import math
import struct
import wave
import zlib

__all__ = ["png", "jpeg", "webp", "gif", "image", "mp4", "wav", "palette"]


def palette(seed: int, n: int = 16) -> list[tuple[int, int, int]]:
    """``n`` colours of a gradient whose hue follows ``seed``."""
    base = seed % 360
    out = []
    for i in range(n):
        hue = math.radians(base + i * 9)
        light = 0.35 + 0.5 * i / max(1, n - 1)
        out.append(tuple(max(16, min(235, int(255 * (light + 0.25 * math.cos(hue + k * 2.094))))) for k in range(3)))
    return out  # type: ignore[return-value]  # each tuple has 3 items, which mypy cannot count


# --- PNG ---------------------------------------------------------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int, height: int, seed: int = 0) -> bytes:
    colours = palette(seed)
    comp = zlib.compressobj(6)
    parts = []
    row_bytes = (width + 1) // 2
    rows: dict[int, bytes] = {}
    for y in range(height):
        band = min(15, y * 16 // height)
        row = rows.get(band)
        if row is None:
            row = rows[band] = b"\x00" + bytes([band * 17]) * row_bytes
        parts.append(comp.compress(row))
    parts.append(comp.flush())
    header = struct.pack(">IIBBBBB", width, height, 4, 3, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"PLTE", b"".join(bytes(c) for c in colours))
            + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b""))


# --- JPEG ----------------------------------------------------------------------------------

_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)  # the standard luminance DC table (Annex K)
_DC_VALUES = tuple(range(12))


def _dc_codes() -> dict[int, tuple[int, int]]:
    codes: dict[int, tuple[int, int]] = {}
    code, k = 0, 0
    for length, count in enumerate(_DC_BITS, start=1):
        for _ in range(count):
            codes[_DC_VALUES[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


class _Bits:
    """MSB-first bit writer (JPEG and H.264)."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def put(self, value: int, length: int) -> None:
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                self.acc, self.n = 0, 0

    def ue(self, value: int) -> None:
        value += 1
        length = value.bit_length()
        self.put(0, length - 1)
        self.put(value, length)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align(self, fill: int) -> None:
        while self.n:
            self.put(fill, 1)


def _ycc(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = rgb
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return round(y), round(cb), round(cr)


def jpeg(width: int, height: int, seed: int = 0) -> bytes:
    colours = [_ycc(c) for c in palette(seed)]
    codes = _dc_codes()
    blocks_x, blocks_y = (width + 7) // 8, (height + 7) // 8
    bits = _Bits()
    previous = [0, 0, 0]
    for by in range(blocks_y):
        ycc = colours[min(15, by * 16 // blocks_y)]
        dc = [8 * (v - 128) for v in ycc]  # a flat block's DCT is 8x its level-shifted value
        for _ in range(blocks_x):
            for comp in range(3):
                diff = dc[comp] - previous[comp]
                previous[comp] = dc[comp]
                size = abs(diff).bit_length()
                code, length = codes[size]
                bits.put(code, length)
                if size:
                    bits.put(diff if diff > 0 else diff + (1 << size) - 1, size)
                bits.put(0, 1)  # end of block: the only AC code
    bits.align(1)
    scan = bytes(bits.out).replace(b"\xff", b"\xff\x00")

    def segment(marker: int, data: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data

    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\x00" + b"\x01" * 64
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"".join(bytes([i, 0x11, 0]) for i in (1, 2, 3))
    dht = b"\x00" + bytes(_DC_BITS) + bytes(_DC_VALUES) + b"\x10" + bytes([1] + [0] * 15) + b"\x00"
    sos = b"\x03" + b"".join(bytes([i, 0x00]) for i in (1, 2, 3)) + b"\x00\x3f\x00"
    return (b"\xff\xd8" + segment(0xE0, app0) + segment(0xDB, dqt) + segment(0xC0, sof) + segment(0xC4, dht)
            + segment(0xDA, sos) + scan + b"\xff\xd9")


# --- WebP (VP8L) -------------------------------------------------------------------------

class _LSBBits:
    def __init__(self) -> None:
        self.value = 0
        self.n = 0

    def put(self, value: int, length: int) -> None:
        self.value |= (value & ((1 << length) - 1)) << self.n
        self.n += length

    def bytes(self) -> bytes:
        return self.value.to_bytes((self.n + 7) // 8, "little")


def webp(width: int, height: int, seed: int = 0) -> bytes:
    r, g, b = palette(seed)[8]
    bits = _LSBBits()
    bits.put(width - 1, 14)
    bits.put(height - 1, 14)
    bits.put(0, 1)  # alpha unused
    bits.put(0, 3)  # version
    bits.put(0, 1)  # no transform
    bits.put(0, 1)  # no colour cache
    bits.put(0, 1)  # no meta prefix codes
    for symbol in (g, r, b, 255, 0):  # green, red, blue, alpha, distance: one symbol each
        bits.put(1, 1)  # simple code
        bits.put(0, 1)  # one symbol
        bits.put(1, 1)  # 8-bit symbol
        bits.put(symbol, 8)
    data = b"\x2f" + bits.bytes()
    chunk = b"VP8L" + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def gif(width: int, height: int, seed: int = 0) -> bytes:
    """A one-colour GIF. The LZW stream sends a clear code before every two literals, so the
    code width stays at 3 bits and no compression table is needed."""
    r, g, b = palette(seed)[8]
    pixels = width * height
    bits = _LSBBits()
    for start in range(0, pixels, 2):
        bits.put(4, 3)  # clear
        for _ in range(min(2, pixels - start)):
            bits.put(0, 3)
    bits.put(5, 3)  # end of information
    data = bits.bytes()
    blocks = b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255] for i in range(0, len(data), 255))
    return (b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + bytes([r, g, b, 0, 0, 0])
            + b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02" + blocks + b"\x00\x3b")


def image(fmt: str, width: int, height: int, seed: int = 0) -> bytes:
    return {"png": png, "jpeg": jpeg, "webp": webp}[fmt](width, height, seed)


# --- MP4 (H.264 baseline) ----------------------------------------------------------------

def _nal(kind: int, bits: _Bits, ref: int = 3) -> bytes:
    bits.put(1, 1)  # rbsp stop bit
    bits.align(0)
    payload = bytearray()
    zeros = 0
    for byte in bits.out:  # emulation prevention
        if zeros >= 2 and byte <= 3:
            payload.append(3)
            zeros = 0
        payload.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes([(ref << 5) | kind]) + bytes(payload)


def _sps(mbs_w: int, mbs_h: int, width: int, height: int) -> bytes:
    b = _Bits()
    b.put(66, 8)  # baseline
    b.put(0xC0, 8)
    b.put(40, 8)  # level 4.0
    b.ue(0)  # sps id
    b.ue(0)  # log2_max_frame_num - 4
    b.ue(2)  # pic_order_cnt_type
    b.ue(1)  # max_num_ref_frames
    b.put(0, 1)
    b.ue(mbs_w - 1)
    b.ue(mbs_h - 1)
    b.put(1, 1)  # frame_mbs_only
    b.put(1, 1)  # direct_8x8_inference
    crop_r, crop_b = (mbs_w * 16 - width) // 2, (mbs_h * 16 - height) // 2
    if crop_r or crop_b:
        b.put(1, 1)
        for value in (0, crop_r, 0, crop_b):
            b.ue(value)
    else:
        b.put(0, 1)
    b.put(0, 1)  # no VUI
    return _nal(7, b)


def _pps() -> bytes:
    b = _Bits()
    b.ue(0)
    b.ue(0)
    b.put(0, 1)  # CAVLC
    b.put(0, 1)
    b.ue(0)  # one slice group
    b.ue(0)
    b.ue(0)
    b.put(0, 1)
    b.put(0, 2)
    b.se(0)
    b.se(0)
    b.se(0)
    b.put(1, 1)  # deblocking control present
    b.put(0, 1)
    b.put(0, 1)
    return _nal(8, b)


def _idr(mbs: int) -> bytes:
    b = _Bits()
    b.ue(0)  # first_mb_in_slice
    b.ue(7)  # I slice
    b.ue(0)  # pps id
    b.put(0, 4)  # frame_num
    b.ue(0)  # idr_pic_id
    b.put(0, 1)  # no_output_of_prior_pics
    b.put(0, 1)  # long_term_reference
    b.se(0)  # slice_qp_delta
    b.ue(1)  # deblocking off
    for _ in range(mbs):
        b.ue(3)  # I_16x16, DC prediction, no coded coefficients
        b.ue(0)  # chroma DC prediction
        b.se(0)  # mb_qp_delta
        b.put(1, 1)  # Intra16x16 DC levels: no coefficients
    return _nal(5, b)


def _skip(mbs: int, frame_num: int) -> bytes:
    b = _Bits()
    b.ue(0)
    b.ue(5)  # P slice
    b.ue(0)
    b.put(frame_num % 16, 4)
    b.put(0, 1)  # num_ref_idx_active_override
    b.put(0, 1)  # ref_pic_list_modification
    b.put(0, 1)  # adaptive_ref_pic_marking
    b.se(0)
    b.ue(1)
    b.ue(mbs)  # every macroblock skipped
    return _nal(1, b)


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full(kind: bytes, version_flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", version_flags), *parts)


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def mp4(width: int, height: int, seconds: float, fps: int = 8) -> bytes:
    width, height = max(16, width - width % 2), max(16, height - height % 2)
    mbs_w, mbs_h = (width + 15) // 16, (height + 15) // 16
    sps, pps = _sps(mbs_w, mbs_h, width, height), _pps()
    count = max(1, round(seconds * fps))
    samples = [_idr(mbs_w * mbs_h)] + [_skip(mbs_w * mbs_h, i) for i in range(1, count)]
    samples = [struct.pack(">I", len(s)) + s for s in samples]
    timescale, duration = fps * 1000, count * 1000
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 512), b"isomiso2avc1mp41")
    mdat_payload = b"".join(samples)
    avcc = _box(b"avcC", bytes([1, 66, 0xC0, 40, 0xFF, 0xE1]), struct.pack(">H", len(sps)), sps, b"\x01",
                struct.pack(">H", len(pps)), pps)
    avc1 = _box(b"avc1", b"\x00" * 6, struct.pack(">H", 1), b"\x00" * 16, struct.pack(">HH", width, height),
                struct.pack(">II", 0x480000, 0x480000), b"\x00" * 4, struct.pack(">H", 1), b"\x00" * 32,
                struct.pack(">Hh", 0x18, -1), avcc)

    def build(offset: int) -> bytes:
        stbl = _box(
            b"stbl",
            _full(b"stsd", 0, struct.pack(">I", 1), avc1),
            _full(b"stts", 0, struct.pack(">III", 1, count, 1000)),
            _full(b"stss", 0, struct.pack(">II", 1, 1)),
            _full(b"stsc", 0, struct.pack(">IIII", 1, 1, count, 1)),
            _full(b"stsz", 0, struct.pack(">II", 0, count), b"".join(struct.pack(">I", len(s)) for s in samples)),
            _full(b"stco", 0, struct.pack(">II", 1, offset)),
        )
        dinf = _box(b"dinf", _full(b"dref", 0, struct.pack(">I", 1), _full(b"url ", 1)))
        minf = _box(b"minf", _full(b"vmhd", 1, b"\x00" * 8), dinf, stbl)
        hdlr = _full(b"hdlr", 0, b"\x00" * 4, b"vide", b"\x00" * 12, b"VideoHandler\x00")
        mdhd = _full(b"mdhd", 0, struct.pack(">IIII", 0, 0, timescale, duration), struct.pack(">HH", 0x55C4, 0))
        tkhd = _full(b"tkhd", 3, struct.pack(">IIIII", 0, 0, 1, 0, duration * 1000 // timescale), b"\x00" * 8,
                     struct.pack(">hhhH", 0, 0, 0, 0), _MATRIX, struct.pack(">II", width << 16, height << 16))
        mvhd = _full(b"mvhd", 0, struct.pack(">IIII", 0, 0, 1000, duration * 1000 // timescale),
                     struct.pack(">IH", 0x10000, 0x100), b"\x00" * 10, _MATRIX, b"\x00" * 24, struct.pack(">I", 2))
        return _box(b"moov", mvhd, _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf)))

    moov = build(0)
    moov = build(len(ftyp) + len(moov) + 8)
    return ftyp + moov + _box(b"mdat", mdat_payload)


# --- WAV -----------------------------------------------------------------------------------

def wav(seconds: float, sample_rate: int = 16000, seed: int = 0) -> bytes:
    """A tone pulsing three times a second; one second is computed and repeated."""
    pitch = 180 + seed % 120
    def sample(i: int) -> int:
        t = i / sample_rate
        return int(9000 * (0.5 + 0.5 * math.sin(2 * math.pi * 3 * t)) * math.sin(2 * math.pi * pitch * t))

    second = array.array("h", (sample(i) for i in range(sample_rate)))
    frames = max(1, int(seconds * sample_rate))
    whole, rest = divmod(frames, sample_rate)
    samples = second.tobytes() * whole + second[:rest].tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(samples)
    return out.getvalue()
