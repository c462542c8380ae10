"""Reimagine, Merge Face and Image to Prompt: three synchronous image utilities.

``POST /v3/reimagine`` ``{image_file, extra?}`` → ``{image_file, image_type}`` (a new take on
the picture, same size); ``POST /v3/merge-face`` ``{image_file, face_image_file, extra?}`` →
``{image_file, image_type}`` (the target picture's size); ``POST /v3/img2prompt``
``{image_file}`` → ``{prompt}``. Bodies as in the documented index's Reimagine and Image to
Prompt pages and the official SDK (``novita_client.NovitaClient.reimagine``, ``merge_face``,
``img2prompt``), which send the images as plain base64 and ``extra.enterprise_plan`` /
``response_image_type`` like the other sync utilities.

Image to Prompt describes what it can see without a model: orientation, size and a
subject, setting and style chosen from the image's own bytes, so one image always gets the
same prompt and different images get different ones.
"""

from __future__ import annotations

import base64
import hashlib

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from novita_mcp.client.media_formats import IMAGE_LIMITS
from novita_mcp.sandbox import media_encode
from novita_mcp.sandbox.media_common import Check, parse_extra, read_image
from novita_mcp.sandbox.media_core import MediaCore

__all__ = ["routes", "describe"]

_SUBJECTS = ("a lighthouse on a rocky shore", "a red fox in fresh snow", "a bowl of ripe oranges",
             "an old tram on a city street", "a cat asleep on a windowsill", "a mountain lake at sunrise",
             "a vintage bicycle against a brick wall", "a field of sunflowers", "a portrait of a smiling woman",
             "a cup of coffee on a wooden table", "a sailing boat in a calm bay", "a forest path in autumn")
_STYLES = ("photograph, natural light", "watercolour painting", "digital illustration, vivid colours",
           "oil painting, soft brush strokes", "cinematic still, shallow depth of field", "pencil sketch")


def describe(data: bytes, width: int, height: int) -> str:
    """A prompt for this image, stable for the same bytes."""
    digest = hashlib.sha256(data).digest()
    shape = "square" if abs(width - height) <= min(width, height) // 20 else (
        "wide" if width > height else "tall")
    subject, style = _SUBJECTS[digest[0] % len(_SUBJECTS)], _STYLES[digest[1] % len(_STYLES)]
    return f"{subject}, {style}, {shape} composition, {width}x{height}, highly detailed"


def routes(domain: MediaCore) -> list[Route]:
    files = domain.files

    def answer(product: str, body: dict, width: int, height: int) -> JSONResponse:
        extra = parse_extra(body)
        domain.charge_now(product, domain.units(product, extra, count=1), 1)
        data = media_encode.image(extra.image_type, width, height, domain.pick_seed(None))
        return JSONResponse({"image_file": base64.b64encode(data).decode(), "image_type": extra.image_type})

    async def reimagine(request: Request) -> JSONResponse:
        body = await domain.body(request)
        image = read_image(body.get("image_file"), "image_file", IMAGE_LIMITS["reimagine"], files, urls=False)
        return answer("reimagine", body, image.info.width, image.info.height)

    async def merge_face(request: Request) -> JSONResponse:
        body = await domain.body(request)
        limits = IMAGE_LIMITS["merge_face"]
        image = read_image(body.get("image_file"), "image_file", limits, files, urls=False)
        read_image(body.get("face_image_file"), "face_image_file", limits, files, urls=False)
        return answer("merge-face", body, image.info.width, image.info.height)

    async def img2prompt(request: Request) -> JSONResponse:
        body = await domain.body(request)
        Check(body)
        image = read_image(body.get("image_file"), "image_file", IMAGE_LIMITS["img2prompt"], files, urls=False)
        domain.charge_now("img2prompt", domain.units("img2prompt", parse_extra(body), count=1), 1)
        return JSONResponse({"prompt": describe(image.data or b"", image.info.width, image.info.height)})

    return [
        Route("/v3/reimagine", reimagine, methods=["POST"]),
        Route("/v3/merge-face", merge_face, methods=["POST"]),
        Route("/v3/img2prompt", img2prompt, methods=["POST"]),
    ]
