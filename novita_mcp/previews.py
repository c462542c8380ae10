"""Small inline previews of generated images, so a chat client can show the picture itself.

A preview is the image scaled down to at most ``MAX_SIDE`` pixels on its longest side and
encoded as WebP (JPEG where Pillow lacks WebP), lowering the quality until it fits in
``MAX_BYTES``. The full-size file stays a link and a resource; the preview is only for eyes.
"""

from __future__ import annotations

import io
import logging

__all__ = ["image_preview", "MAX_SIDE", "MAX_BYTES"]

log = logging.getLogger("novita_mcp.previews")

MAX_SIDE = 512
MAX_BYTES = 60_000
# Decoding is bounded: a generated image is at most a few tens of megapixels.
_MAX_PIXELS = 64_000_000
_QUALITIES = (80, 65, 50, 35, 20)


def image_preview(data: bytes, *, max_side: int = MAX_SIDE, max_bytes: int = MAX_BYTES) -> tuple[bytes, str] | None:
    """``(bytes, mime type)`` of a preview of the image ``data``, or None when it cannot be made."""
    try:
        from PIL import Image, features

        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > _MAX_PIXELS:
                return None
            img.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale, cheaply
            img.thumbnail((max_side, max_side))
            webp = features.check("webp")
            mode = "RGBA" if webp and ("A" in img.getbands() or "transparency" in img.info) else "RGB"
            small = img.convert(mode)
        fmt, mime = ("WEBP", "image/webp") if webp else ("JPEG", "image/jpeg")
        for quality in _QUALITIES:
            out = io.BytesIO()
            small.save(out, fmt, quality=quality)
            if out.tell() <= max_bytes:
                return out.getvalue(), mime
            if quality == _QUALITIES[-1]:  # still too big at the lowest quality: halve it once more
                small.thumbnail((max_side // 2, max_side // 2))
                out = io.BytesIO()
                small.save(out, fmt, quality=quality)
                return (out.getvalue(), mime) if out.tell() <= max_bytes else None
    except Exception as exc:  # an undecodable or exotic file: no preview, the link still works
        log.info("no preview: %s", type(exc).__name__)
        return None
    return None
