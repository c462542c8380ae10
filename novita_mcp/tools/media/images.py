"""Toolset ``media``: images (generate, edit), video, speech, transcription, tasks, SD models.

Every generation is billable: the plan quotes it on the server from the arguments with
the one price table (``novita_mcp.pricing.media``: FLUX's published formula, the
NSFW surcharge, documented estimates for the rest) before anything is sent.
"""

from __future__ import annotations

import base64
import secrets
from decimal import Decimal
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from novita_mcp.client.media import Extra, FluxRequest, Txt2ImgRequest
from novita_mcp.client.media_formats import IMAGE_LIMITS, ImageFormat
from novita_mcp.pricing.media import basis, price_usd
from novita_mcp.toolkit import (
    Context,
    Effect,
    Plan,
    Quote,
    Reply,
    Run,
    Services,
    services,
    shown,
    tool,
)
from novita_mcp.tools._common import MaxWait
from novita_mcp.tools._media_io import (
    deliver_bytes,
    deliver_urls,
    describe_input,
    image_source,
)
from novita_mcp.tools.media.tasks import (
    Generation,
    Preview,
    done_text,
    follow_submitted,
)

__all__ = ["generate_image", "edit_image", "list_image_models"]

ImageModel = Literal["flux-1-schnell", "seedream-3.0", "seedream-4.0", "seedream-4.5", "qwen-image", "sd"]
# model -> (price key, min side, max side, most images)
_IMAGE: dict[str, tuple[str, int, int, int]] = {
    "flux-1-schnell": ("flux-1-schnell", 64, 2048, 8),
    "seedream-3.0": ("seedream-3-0", 512, 2048, 1),
    "seedream-4.0": ("seedream-4.0", 256, 4096, 8),
    "seedream-4.5": ("seedream-4.5", 256, 4096, 8),
    "qwen-image": ("qwen-image", 256, 1536, 1),
    "sd": ("txt2img", 128, 2048, 8),
}
SEEDREAM4_MIN_PIXELS = 1280 * 720
DEFAULT_CHECKPOINT = "sd_xl_base_1.0.safetensors"
DEFAULT_INPAINT_CHECKPOINT = "realisticVisionV51_v51VAE-inpainting_94324.safetensors"


def _image_quote(args: dict[str, Any]) -> tuple[str, Decimal, str, int]:
    """Validate the combination of arguments; return (price key, USD, basis, steps)."""
    model = args["model"]
    key, lo, hi, most = _IMAGE[model]
    width, height, count = args.get("width", 1024), args.get("height", 1024), args.get("count", 1)
    if not (lo <= width <= hi and lo <= height <= hi):
        raise ToolError(f"{model} makes images {lo}-{hi} px a side; got {width}x{height}.")
    if model.startswith("seedream-4") and width * height < SEEDREAM4_MIN_PIXELS:
        raise ToolError(f"{model} needs at least 1280x720 pixels in all; got {width}x{height}.")
    if count > most:
        raise ToolError(f"{model} makes at most {most} image(s) per call; got count={count}.")
    sd_only = {"negative_prompt": args.get("negative_prompt"), "nsfw_check": args.get("nsfw_check") or None,
               "checkpoint": args.get("checkpoint")}
    for name, value in sd_only.items():
        if value is not None and model != "sd":
            raise ToolError(f"{name} is only supported by model 'sd'; remove it or choose model='sd'.")
    if args.get("steps") is not None and model not in ("sd", "flux-1-schnell"):
        raise ToolError("steps applies only to 'flux-1-schnell' and 'sd'.")
    if args.get("output_format") not in (None, "png") and model not in ("sd", "flux-1-schnell"):
        raise ToolError(f"{model} always answers JPEG; output_format applies only to 'flux-1-schnell' and 'sd'.")
    if args.get("seed") is not None and model not in ("flux-1-schnell", "sd", "seedream-3.0"):
        raise ToolError(f"{model} takes no seed; seed applies to 'flux-1-schnell', 'sd' and 'seedream-3.0'.")
    if args.get("reference_images") and model not in ("seedream-4.0", "seedream-4.5"):
        raise ToolError("reference_images are supported by 'seedream-4.0' and 'seedream-4.5' only.")
    steps = args.get("steps") or (4 if model == "flux-1-schnell" else 20)
    nsfw = count if args.get("nsfw_check") else 0
    q = dict(count=count, width=width, height=height, steps=steps, nsfw_images=nsfw)
    return key, price_usd(key, **q), basis(key, **q), steps


async def plan_generate_image(app: Services, prompt: str, model: str = "flux-1-schnell", width: int = 1024,
                              height: int = 1024, count: int = 1, seed: int | None = None,
                              negative_prompt: str | None = None, steps: int | None = None,
                              output_format: str | None = None, checkpoint: str | None = None,
                              nsfw_check: bool = False, reference_images: list[str] | None = None) -> Plan:
    """Facts for the body: (price key, quote, steps) - the arguments checked once."""
    args = {"model": model, "width": width, "height": height, "count": count, "negative_prompt": negative_prompt,
            "seed": seed, "steps": steps, "output_format": output_format, "checkpoint": checkpoint,
            "nsfw_check": nsfw_check, "reference_images": reference_images}
    key, amount, why, steps_used = _image_quote(args)
    return Plan(action=f"Generate {count} image(s) with {model}", target=f"{width}x{height}: {shown(prompt, limit=80)}",
                quote=Quote(amount, why), facts=(key, amount, steps_used),
                check="list_bills for today's image charges, or wait_for_task with the task id if one was given")


Prompt = Annotated[str, Field(min_length=1, max_length=1024)]
Side = Annotated[int, Field(ge=64, le=4096)]


@tool(title="Generate image", effects={Effect.BILLABLE}, plan=plan_generate_image)
async def generate_image(
    ctx: Context,
    prompt: Prompt,
    model: ImageModel = "flux-1-schnell",
    width: Side = 1024,
    height: Side = 1024,
    count: Annotated[int, Field(ge=1, le=8)] = 1,
    seed: Annotated[int | None, Field(ge=0, le=2147483647, description="flux, sd, seedream-3.0.")] = None,
    negative_prompt: Annotated[str | None, Field(max_length=1024, description="sd only.")] = None,
    steps: Annotated[int | None, Field(ge=1, le=100, description="flux (default 4) and sd (20).")] = None,
    output_format: Annotated[ImageFormat | None, Field(description="flux and sd; others answer JPEG.")] = None,
    checkpoint: Annotated[str | None, Field(max_length=300, description="sd: sd_name from list_image_models.")] = None,
    nsfw_check: Annotated[bool, Field(description="sd: flag NSFW (+$0.0015/image).")] = False,
    reference_images: Annotated[list[Annotated[str, Field(max_length=20_000_000)]] | None, Field(
        max_length=10, description="seedream-4.x: URL, local path or base64.")] = None,
    max_wait_seconds: MaxWait = 30,
    preview: Preview = True,
    *,
    run: Run,
) -> Reply[Generation]:
    """Create images from a text prompt.

    Models (size a side, images per call):
    flux-1-schnell: fast, $0.003/1024x1024 at 4 steps, 64-2048 px, 8.
    seedream-3.0: 512-2048 px, 1. seedream-4.0/4.5: 1280x720 to 4096 px, 8, reference images.
    qwen-image: text in images, 256-1536 px, 1. sd: Stable Diffusion checkpoint, 8.
    """
    app = services(ctx)
    key, quote, steps = run.plan.facts
    media = app.client.media
    if model == "flux-1-schnell":
        flux = await media.flux_schnell(FluxRequest(prompt=prompt, seed=seed if seed is not None else
                                                    secrets.randbelow(2**31), steps=steps, width=width, height=height,
                                                    image_num=count, response_image_format=output_format))
        run.done()
        items = [("image", i.image_url, i.image_type, i.image_url_ttl) for i in flux.images]
        return await _sync_reply(app, model, items, quote, preview)
    if model.startswith("seedream"):
        return await _seedream(ctx, model, prompt, width, height, count, seed, reference_images or [], quote, preview)
    if model == "qwen-image":
        task_id = await media.submit("/v3/async/qwen-image-txt2img", {"prompt": prompt, "size": f"{width}*{height}"})
    else:
        request = Txt2ImgRequest(model_name=checkpoint or DEFAULT_CHECKPOINT, prompt=prompt,
                                 negative_prompt=negative_prompt, width=width, height=height, image_num=count,
                                 steps=steps, guidance_scale=7.0, seed=-1 if seed is None else seed)
        extra = Extra(response_image_type=output_format, enable_nsfw_detection=nsfw_check or None)
        task_id = await media.submit("/v3/async/txt2img", {"extra": extra.body(), "request": request.body()})
    run.done(resource_id=task_id)
    return await follow_submitted(ctx, app, task_id, max_wait_seconds, model=model, quote=quote, preview=preview)


async def _sync_reply(app: Services, model: str, items: list[tuple[str, str, str, int]], quote: Decimal,
                      preview: bool, charged: Decimal | None = None) -> Reply[Generation]:
    charged = quote if charged is None else charged
    delivery = await deliver_urls(app, items, stem=f"{model}-{secrets.token_hex(3)}", preview=preview)
    data = Generation(status="succeeded", model=model, files=delivery.files, quote_usd=quote, charged_usd=charged)
    return Reply(data, done_text(model, delivery.files, charged), charged_usd=charged, extra=delivery.blocks)


async def _seedream(ctx: Context, model: str, prompt: str, width: int, height: int, count: int, seed: int | None,
                    references: list[str], quote: Decimal, preview: bool) -> Reply[Generation]:
    app = services(ctx)
    refs = [(await image_source(ctx, r, f"reference_images[{i}]", IMAGE_LIMITS["reference"], need_bytes=False))
            .url_or_data_uri() for i, r in enumerate(references)]
    if model == "seedream-3.0":
        body: dict[str, Any] = {"prompt": prompt, "size": f"{width}x{height}", "response_format": "url",
                                "watermark": False, "seed": -1 if seed is None else seed}
        path = "/v3/seedream-3-0-txt2img"
    else:
        body = {"prompt": prompt, "size": f"{width}x{height}", "watermark": False,
                "sequential_image_generation": "auto" if count > 1 else "disabled"}
        if model == "seedream-4.0":
            body.update({"max_images": count} if count > 1 else {}, **({"images": refs} if refs else {}))
            path = "/v3/seedream-4.0"
        else:
            body.update({"sequential_image_generation_options": {"max_images": count}} if count > 1 else {},
                        **({"image": refs} if refs else {}))
            path = "/v3/seedream-4.5"
    result = await app.client.media.seedream(path, body)
    # "auto" lets Seedream return fewer images than asked; it bills per image returned.
    charged = price_usd(_IMAGE[model][0], count=len(result.urls))
    return await _sync_reply(app, model, [("image", u, "jpeg", 3600) for u in result.urls], quote, preview,
                             min(charged, quote))


# --- edit_image ----------------------------------------------------------------------------

EditOp = Literal["upscale", "remove_background", "replace_background", "cleanup", "remove_text", "inpaint", "img2img"]
# operation -> (price key, needs mask, needs prompt, sync path or async path)
_EDIT: dict[str, tuple[str, bool, bool, str]] = {
    "upscale": ("upscale", False, False, "/v3/async/upscale"),
    "remove_background": ("remove-background", False, False, "/v3/remove-background"),
    "replace_background": ("replace-background", False, True, "/v3/replace-background"),
    "cleanup": ("cleanup", True, False, "/v3/cleanup"),
    "remove_text": ("remove-text", False, False, "/v3/remove-text"),
    "inpaint": ("inpainting", True, True, "/v3/async/inpainting"),
    "img2img": ("img2img", False, True, "/v3/async/img2img"),
}


def _edit_quote(args: dict[str, Any]) -> tuple[str, Decimal, str]:
    op = args["operation"]
    key, needs_mask, needs_prompt, _ = _EDIT[op]
    if needs_mask and not args.get("mask"):
        raise ToolError(f"operation '{op}' needs mask: a black-and-white image, white where to change.")
    if not needs_mask and args.get("mask"):
        raise ToolError(f"operation '{op}' takes no mask; masks are for 'inpaint' and 'cleanup'.")
    if needs_prompt and not args.get("prompt"):
        raise ToolError(f"operation '{op}' needs prompt (what the result should show).")
    if not needs_prompt and args.get("prompt"):
        raise ToolError(f"operation '{op}' takes no prompt; prompts are for 'replace_background', 'inpaint' "
                        "and 'img2img'.")
    if args.get("scale") is not None and op != "upscale":
        raise ToolError("scale applies only to operation 'upscale'.")
    if args.get("strength") is not None and op != "img2img":
        raise ToolError("strength applies only to operation 'img2img'.")
    if args.get("checkpoint") is not None and op not in ("inpaint", "img2img"):
        raise ToolError("checkpoint applies only to operations 'inpaint' and 'img2img'.")
    count = args.get("count", 1)
    if count > 1 and op not in ("inpaint", "img2img"):
        raise ToolError(f"operation '{op}' makes one image; count > 1 needs 'inpaint' or 'img2img'.")
    return key, price_usd(key, count=count), basis(key, count=count)


async def plan_edit_image(app: Services, operation: str, image: str, mask: str | None = None,
                          prompt: str | None = None, scale: float | None = None, strength: float | None = None,
                          count: int = 1, checkpoint: str | None = None) -> Plan:
    """Facts for the body: (price key, quote) - the combination of arguments checked once."""
    args = {"operation": operation, "mask": mask, "prompt": prompt, "scale": scale, "strength": strength,
            "count": count, "checkpoint": checkpoint}
    key, amount, why = _edit_quote(args)
    return Plan(action=f"Edit an image: {operation}" + (f" ({count} results)" if count > 1 else ""),
                target=describe_input(image), quote=Quote(amount, why), facts=(key, amount),
                check="list_bills for today's image charges, or wait_for_task with the task id if one was given")


def _sd_size(width: int, height: int) -> tuple[int, int]:
    """The input's size for SD img2img: at most 2048 a side (aspect kept), multiples of 8, at least 128."""
    k = min(1.0, 2048 / max(width, height))
    w, h = (max(128, min(2048, int(v * k) // 8 * 8)) for v in (width, height))
    return w, h


ImageArg = Annotated[str, Field(min_length=1, max_length=40_000_000, description="URL, local path or base64.")]


@tool(title="Edit image", effects={Effect.BILLABLE}, plan=plan_edit_image)
async def edit_image(
    ctx: Context,
    operation: Annotated[EditOp, Field(description=(
        "Needs: replace_background prompt; cleanup mask; inpaint mask + prompt; img2img prompt."))],
    image: ImageArg,
    mask: Annotated[str | None, Field(max_length=40_000_000, description="Same size as image.")] = None,
    prompt: Annotated[str | None, Field(max_length=1024)] = None,
    scale: Annotated[float | None, Field(gt=1, le=4, description="Default 2.")] = None,
    strength: Annotated[float | None, Field(ge=0, le=1, description="Default 0.5.")] = None,
    count: Annotated[int, Field(ge=1, le=8)] = 1,
    checkpoint: Annotated[str | None, Field(max_length=300, description="sd_name from list_image_models.")] = None,
    output_format: ImageFormat = "png",
    max_wait_seconds: MaxWait = 30,
    *,
    run: Run,
) -> Reply[Generation]:
    """Edit an image: upscale, remove/replace background, erase objects or text, inpaint, img2img."""
    app = services(ctx)
    key, quote = run.plan.facts
    _, _, _, path = _EDIT[operation]
    limits = IMAGE_LIMITS["inpaint" if operation == "inpaint" else operation]
    src = await image_source(ctx, image, "image", limits, need_bytes=True)
    msk = await image_source(ctx, mask, "mask", limits, need_bytes=True) if mask else None
    if msk is not None and (msk.info.width, msk.info.height) != (src.info.width, src.info.height):
        raise ToolError(f"mask is {msk.info.width}x{msk.info.height} but the image is {src.info.width}x"
                        f"{src.info.height}; they must match. Nothing was sent.")
    media = app.client.media
    extra = Extra(response_image_type=output_format).body()
    if not path.startswith("/v3/async/"):
        body: dict[str, Any] = {"image_file": src.b64, "extra": extra}
        if msk is not None:
            body["mask_file"] = msk.b64
        if prompt:
            body["prompt"] = prompt
        answer = await media.sync_image(path, body)
        run.done()
        delivery = deliver_bytes(app, "image", answer.image_type or output_format, base64.b64decode(answer.image_file),
                                 stem=operation)
        data = Generation(status="succeeded", model=operation, files=delivery.files, quote_usd=quote,
                          charged_usd=quote)
        return Reply(data, done_text(operation, delivery.files, quote), charged_usd=quote, extra=delivery.blocks)
    if operation == "upscale":
        request: dict[str, Any] = {"model_name": "RealESRNet_x4plus", "image_base64": src.b64,
                                   "scale_factor": scale or 2}
    else:
        default = DEFAULT_INPAINT_CHECKPOINT if operation == "inpaint" else DEFAULT_CHECKPOINT
        request = {"model_name": checkpoint or default,
                   "prompt": prompt, "image_base64": src.b64, "image_num": count, "steps": 20, "guidance_scale": 7.0,
                   "sampler_name": "Euler a", "seed": -1}
        if operation == "inpaint":
            request["mask_image_base64"] = msk.b64 if msk else ""
        else:
            width, height = _sd_size(src.info.width, src.info.height)
            request.update(width=width, height=height, strength=0.5 if strength is None else strength)
    task_id = await media.submit(path, {"extra": extra, "request": request})
    run.done(resource_id=task_id)
    return await follow_submitted(ctx, app, task_id, max_wait_seconds, model=operation, quote=quote)


# --- list_image_models -------------------------------------------------------------------------

class ImageModelInfo(BaseModel):
    sd_name: str = Field(description="Pass as generate_image checkpoint (checkpoints).")
    name: str
    type: str
    base_model: str
    is_sdxl: bool
    is_inpainting: bool
    tags: list[str]


class ImageModelPage(BaseModel):
    models: list[ImageModelInfo]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page.")


@tool(title="List image models", effects={Effect.READ})
async def list_image_models(
    ctx: Context,
    type: Annotated[Literal["checkpoint", "lora", "vae", "controlnet", "upscaler", "textualinversion"] | None,
                    Field()] = "checkpoint",
    query: Annotated[str | None, Field(max_length=100, description="Words in the name or tags.")] = None,
    sdxl: Annotated[bool | None, Field(description="false: SD 1.x only.")] = None,
    inpainting: bool | None = None,
    limit: Annotated[int, Field(ge=1, le=50)] = 20,
    cursor: Annotated[str | None, Field(max_length=50, pattern=r"^c_\d+$", description="next_cursor.")] = None,
) -> Reply[ImageModelPage]:
    """Stable Diffusion models (checkpoints, LoRAs, ...) for generate_image model 'sd'."""
    page = await services(ctx).client.media.models(types=type, query=query, is_sdxl=sdxl, is_inpainting=inpainting,
                                                   limit=limit, cursor=cursor)
    items = [ImageModelInfo(sd_name=m.sd_name_in_api or m.sd_name, name=m.name, type=m.kind, base_model=m.base_model,
                            is_sdxl=m.is_sdxl, is_inpainting=m.is_inpainting, tags=m.tags[:8]) for m in page.models]
    more = f" More: cursor={page.next_cursor}." if page.next_cursor else ""
    lines = [f"{len(items)} model(s).{more}", *[f"- {m.sd_name} ({m.type}, {m.base_model or 'n/a'})" for m in items]]
    return Reply(ImageModelPage(models=items, next_cursor=page.next_cursor or None), "\n".join(lines))
