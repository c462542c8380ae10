"""Media tools on one existing picture: reimagine it, merge a face into it, describe it as a prompt.

Novita's Reimagine (``POST /v3/reimagine``), Merge Face (``POST /v3/merge-face``) and Image to
Prompt (``POST /v3/img2prompt``) answer at once. Each is billable and quoted from the one price
table (``novita_mcp.pricing.media``; Novita publishes no price for them, so the quote is an
estimate and says so). Inputs are read and checked before anything is sent.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field

from novita_mcp.client.media import Extra
from novita_mcp.client.media_formats import IMAGE_LIMITS, ImageFormat
from novita_mcp.pricing.media import basis, price_usd
from novita_mcp.toolkit import Context, Effect, Plan, Quote, Reply, Services, services, tool
from novita_mcp.tools._media_io import deliver_bytes, describe_input, image_source
from novita_mcp.tools.media.tasks import Generation, done_text

__all__ = ["reimagine_image", "merge_face", "describe_image"]

ImageArg = Annotated[str, Field(min_length=1, max_length=40_000_000, description=(
    "URL, local path or base64 (PNG/JPEG/WebP, <=30 MB)."))]
OutputFormat = ImageFormat


def _plan(key: str, action: str, image: str) -> Plan:
    return Plan(action=action, target=describe_input(image), quote=Quote(price_usd(key), basis(key)),
                check="list_bills for today's image charges")


async def plan_reimagine(app: Services, image: str) -> Plan:
    return _plan("reimagine", "Reimagine an image (a new take on its composition)", image)


async def plan_merge_face(app: Services, image: str) -> Plan:
    return _plan("merge-face", "Merge a face into an image", image)


async def plan_describe(app: Services, image: str) -> Plan:
    return _plan("img2prompt", "Describe an image as a text prompt", image)


async def _edit(app: Services, path: str, key: str, body: dict[str, Any], fmt: str, stem: str) -> Reply[Generation]:
    quote = price_usd(key)
    answer = await app.client.media.sync_image(path, {**body, "extra": Extra(response_image_type=fmt).body()})
    delivery = deliver_bytes(app, "image", answer.image_type or fmt, base64.b64decode(answer.image_file), stem=stem)
    data = Generation(status="succeeded", model=stem, files=delivery.files, quote_usd=quote, charged_usd=quote)
    return Reply(data, done_text(stem, delivery.files, quote), charged_usd=quote, extra=delivery.blocks)


@tool(title="Reimagine image", effects={Effect.BILLABLE}, plan=plan_reimagine)
async def reimagine_image(ctx: Context, image: ImageArg, output_format: OutputFormat = "png") -> Reply[Generation]:
    """A new variation of an image: same size, a fresh take on its composition."""
    app = services(ctx)
    src = await image_source(ctx, image, "image", IMAGE_LIMITS["reimagine"], need_bytes=True)
    return await _edit(app, "/v3/reimagine", "reimagine", {"image_file": src.b64}, output_format, "reimagine")


@tool(title="Merge face", effects={Effect.BILLABLE}, plan=plan_merge_face)
async def merge_face(
    ctx: Context,
    image: ImageArg,
    face_image: Annotated[str, Field(min_length=1, max_length=40_000_000, description=(
        "One face, front view: URL, local path or base64."))],
    output_format: OutputFormat = "png",
) -> Reply[Generation]:
    """Put the face from face_image into image (keeps the image's size)."""
    app = services(ctx)
    limits = IMAGE_LIMITS["merge_face"]
    src = await image_source(ctx, image, "image", limits, need_bytes=True)
    face = await image_source(ctx, face_image, "face_image", limits, need_bytes=True)
    return await _edit(app, "/v3/merge-face", "merge-face", {"image_file": src.b64, "face_image_file": face.b64},
                       output_format, "merge_face")


class ImagePrompt(BaseModel):
    prompt: str = Field(description="A text prompt that describes the image; usable with generate_image.")
    charged_usd: Decimal


@tool(title="Describe image (image to prompt)", effects={Effect.BILLABLE}, plan=plan_describe)
async def describe_image(ctx: Context, image: ImageArg) -> Reply[ImagePrompt]:
    """Describe an image as a text prompt that would draw something like it."""
    app = services(ctx)
    src = await image_source(ctx, image, "image", IMAGE_LIMITS["img2prompt"], need_bytes=True)
    prompt = await app.client.media.img2prompt(src.b64)
    charged = price_usd("img2prompt")
    return Reply(ImagePrompt(prompt=prompt, charged_usd=charged), f"Prompt: {prompt}", charged_usd=charged)
