"""Image endpoints (Novita's model-apis-* pages; see docs/coverage.md): SD-style async tasks, sync utilities, FLUX, Seedream, Qwen."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from novita_mcp.client.media_formats import IMAGE_LIMITS
from novita_mcp.sandbox import media_encode
from novita_mcp.sandbox.errors import SandboxError
from novita_mcp.sandbox.media_common import (
    Check,
    bad,
    check_prompt,
    fails,
    parse_extra,
    parse_size,
    read_image,
)
from novita_mcp.sandbox.media_core import MediaCore
from novita_mcp.sandbox.media_files import FLUX_TTL

# A route handler, as the factories below make them.
Handler = Callable[[Request], Awaitable[Response]]

__all__ = ["routes", "SAMPLERS", "UPSCALERS"]

SAMPLERS = ("Euler a", "Euler", "LMS", "Heun", "DPM2", "DPM2 a", "DPM++ 2S a", "DPM++ 2M", "DPM++ SDE", "DPM fast",
            "DPM adaptive", "LMS Karras", "DPM2 Karras", "DPM2 a Karras", "DPM++ 2S a Karras", "DPM++ 2M Karras",
            "DPM++ SDE Karras", "DDIM", "PLMS", "UniPC")
UPSCALERS = ("RealESRGAN_x4plus_anime_6B", "RealESRNet_x4plus", "4x-UltraSharp")
HIRES_UPSCALERS = ("RealESRGAN_x4plus_anime_6B", "RealESRNet_x4plus", "Latent")
IMAGE_QUEUE_S, IMAGE_RUN_S = 1.0, 5.0
SEEDREAM_SIZES = {"1K": (1024, 1024), "2K": (2048, 2048), "4K": (4096, 4096)}
SEEDREAM_MIN_PIXELS, SEEDREAM_MIN_SIDE = 1280 * 720, 256


def _sd_common(domain: MediaCore, req: Check, *, inpainting: bool = False) -> dict[str, Any]:
    """The fields txt2img, img2img and inpainting share."""
    name = req.str("model_name", required=True, min_len=1, max_len=512)
    if not domain.models.exists(name, "checkpoint", inpainting=inpainting):
        kind = "an inpainting checkpoint" if inpainting else "a checkpoint"
        raise bad(f"request.model_name {name!r} is not {kind}; list them with GET /v3/model")
    prompt = req.str("prompt", required=True, min_len=1, max_len=1024)
    check_prompt(prompt)
    req.str("negative_prompt", max_len=1024)
    req.str("sd_vae", max_len=512)
    req.int("clip_skip", lo=1, hi=12)
    for i, lora in enumerate(req.list("loras", hi=5)):
        item = Check(lora, f"request.loras[{i}].")
        item.str("model_name", required=True, min_len=1)
        item.num("strength", lo=0, hi=1)
    for i, emb in enumerate(req.list("embeddings", hi=5)):
        # The training page's own example sends {"model_name": ""}: an empty name is no embedding.
        Check(emb, f"request.embeddings[{i}].").str("model_name", required=True)
    return {
        "prompt": prompt,
        "image_num": req.int("image_num", required=True, lo=1, hi=8),
        "steps": req.int("steps", required=True, lo=1, hi=100),
        "guidance_scale": req.num("guidance_scale", required=True, lo=1, hi=30),
        "sampler": req.str("sampler_name", required=True, choices=SAMPLERS),
        "seed": req.int("seed", lo=-1, default=-1, required=inpainting),
        "sdxl": domain.models.is_sdxl(name),
    }


class ImageEndpoints:
    """The image endpoints on one media domain: async SD tasks, synchronous edits, FLUX, Seedream, Qwen."""

    def __init__(self, domain: MediaCore) -> None:
        self.domain = domain
        self.files = domain.files

    def task_reply(self, task_id: str) -> JSONResponse:
        return JSONResponse({"task_id": task_id})

    def submit_images(self, request: Request, body: dict[str, Any], *, task_type: str, product: str, width: int,
                      height: int, count: int, seed: int, prompt: str | None, fmt: str = "", queue_s: float = 0,
                      run_s: float = 0) -> JSONResponse:
        extra = parse_extra(body)
        fmt = fmt or extra.image_type
        units = self.domain.units(product, extra, count=count, nsfw_images=count if extra.nsfw else 0)
        base = self.domain.base_url(request)

        def produce() -> dict[str, list[dict[str, Any]]]:
            return {"images": self.domain.image_list(base, fmt, width, height, count, seed, nsfw=extra.nsfw)}

        task = self.domain.tasks.submit(task_type=task_type, queue_s=queue_s or IMAGE_QUEUE_S,
                                        run_s=run_s or IMAGE_RUN_S, produce=produce, product=product,
                                        amount_units=units, quantity=Decimal(count), seed=seed, extra=extra,
                                        fail_reason=fails(prompt))
        return self.task_reply(task.id)

    async def txt2img(self, request: Request) -> JSONResponse:
        body = await self.domain.body(request)
        req = Check(body.get("request"), "request.")
        common = _sd_common(self.domain, req)
        width = req.int("width", required=True, lo=128, hi=2048)
        height = req.int("height", required=True, lo=128, hi=2048)
        hires = req.obj("hires_fix")
        if hires is not None:
            width = hires.int("target_width", required=True, lo=128, hi=4096)
            height = hires.int("target_height", required=True, lo=128, hi=4096)
            hires.num("strength", lo=0, hi=1)
            hires.str("upscaler", choices=HIRES_UPSCALERS)
        refiner = req.obj("refiner")
        if refiner is not None:
            refiner.num("switch_at", lo=0, hi=1)  # the training page's example sends {"switch_at": null}
        extra = parse_extra(body)
        if req.bool("enable_transparent_background") and (extra.image_type != "png" or not common["sdxl"]):
            raise bad("request.enable_transparent_background needs extra.response_image_type png and an SDXL model")
        req.bool("restore_faces")
        return self.submit_images(request, body, task_type="TXT_TO_IMG", product="txt2img", width=width, height=height,
                                  count=common["image_num"], seed=self.domain.pick_seed(common["seed"]),
                                  prompt=common["prompt"])

    async def img2img(self, request: Request) -> JSONResponse:
        body = await self.domain.body(request)
        req = Check(body.get("request"), "request.")
        common = _sd_common(self.domain, req)
        read_image(req.body.get("image_base64"), "request.image_base64", IMAGE_LIMITS["img2img"], self.files,
                   urls=False)
        width = req.int("width", required=True, lo=128, hi=2048)
        height = req.int("height", required=True, lo=128, hi=2048)
        req.num("strength", lo=0, hi=1)
        control = req.obj("controlnet")
        for i, unit in enumerate(control.list("units") if control else []):
            item = Check(unit, f"request.controlnet.units[{i}].")
            item.str("model_name", required=True, min_len=1)
            read_image(item.body.get("image_base64"), f"{item.where}image_base64", IMAGE_LIMITS["img2img"], self.files,
                       urls=False)
            item.num("strength", required=True, lo=0, hi=1)
        for i, ip in enumerate(req.list("ip_adapters", hi=1)):
            Check(ip, f"request.ip_adapters[{i}].").str("model_name", required=True,
                                                        choices=("ip-adapter_sd15.bin", "ip-adapter_sdxl.bin"))
        return self.submit_images(request, body, task_type="IMG_TO_IMG", product="img2img", width=width, height=height,
                                  count=common["image_num"], seed=self.domain.pick_seed(common["seed"]),
                                  prompt=common["prompt"])

    async def inpainting(self, request: Request) -> JSONResponse:
        body = await self.domain.body(request)
        req = Check(body.get("request"), "request.")
        common = _sd_common(self.domain, req, inpainting=True)
        limits = IMAGE_LIMITS["inpaint"]
        image = read_image(req.body.get("image_base64"), "request.image_base64", limits, self.files, urls=False)
        mask = read_image(req.body.get("mask_image_base64"), "request.mask_image_base64", limits, self.files,
                          urls=False)
        if (mask.info.width, mask.info.height) != (image.info.width, image.info.height):
            raise SandboxError("media", "INVALID_IMAGE_SIZE", "the mask must have the same resolution as the image")
        req.int("mask_blur", lo=0, hi=64)
        req.num("strength", lo=0, hi=1)
        req.int("inpainting_full_res", choices=(0, 1))
        req.int("inpainting_full_res_padding", lo=0, hi=256)
        req.int("inpainting_mask_invert", choices=(0, 1))
        req.num("initial_noise_multiplier", lo=0, hi=1.5)
        return self.submit_images(request, body, task_type="INPAINTING", product="inpainting", width=image.info.width,
                                  height=image.info.height, count=common["image_num"],
                                  seed=self.domain.pick_seed(common["seed"]), prompt=common["prompt"])

    async def upscale(self, request: Request) -> JSONResponse:
        body = await self.domain.body(request)
        req = Check(body.get("request"), "request.")
        req.str("model_name", required=True, choices=UPSCALERS)
        image = read_image(req.body.get("image_base64"), "request.image_base64", IMAGE_LIMITS["upscale"], self.files,
                           urls=False)
        factor = req.num("scale_factor", required=True, lo=1, hi=4, lo_open=True)
        width, height = int(image.info.width * factor), int(image.info.height * factor)
        return self.submit_images(request, body, task_type="UPSCALE", product="upscale", width=width, height=height,
                                  count=1, seed=self.domain.pick_seed(None), prompt=None)

    async def remove_background_async(self, request: Request) -> JSONResponse:
        body = await self.domain.body(request)
        image = read_image(body.get("image"), "image", IMAGE_LIMITS["remove_background"], self.files)
        return self.submit_images(request, body, task_type="REMOVE_BACKGROUND", product="remove-background",
                                  width=image.info.width, height=image.info.height, count=1,
                                  seed=self.domain.pick_seed(None), prompt=None, fmt="png")

    def sync_edit(self, product: str, *, mask: bool = False, prompt: bool = False) -> Handler:
        async def handler(request: Request) -> JSONResponse:
            body = await self.domain.body(request)
            check = Check(body)
            limits = IMAGE_LIMITS["cleanup" if mask else "remove_background"]
            image = read_image(body.get("image_file"), "image_file", limits, self.files, urls=False)
            if mask:
                m = read_image(body.get("mask_file"), "mask_file", limits, self.files, urls=False)
                if (m.info.width, m.info.height) != (image.info.width, image.info.height):
                    raise SandboxError("media", "INVALID_IMAGE_SIZE", "mask_file must match the image's resolution")
            text = check.str("prompt", required=True, min_len=1, max_len=1024) if prompt else None
            check_prompt(text)
            if fails(text):
                raise SandboxError("media", "TASK_FAILED", fails(text))
            extra = parse_extra(body)
            units = self.domain.units(product, extra, count=1)
            self.domain.charge_now(product, units, 1)
            seed = self.domain.pick_seed(None)
            data = media_encode.image(extra.image_type, image.info.width, image.info.height, seed)
            return JSONResponse({"image_file": base64.b64encode(data).decode(), "image_type": extra.image_type})

        return handler

    async def flux(self, request: Request) -> JSONResponse:
        body = await self.domain.body(request)
        check = Check(body)
        prompt = check.str("prompt", required=True, min_len=1, max_len=1024)
        check_prompt(prompt)
        seed = check.int("seed", required=True, lo=0, hi=4294967295)
        steps = check.int("steps", required=True, lo=1, hi=100)
        width = check.int("width", required=True, lo=64, hi=2048)
        height = check.int("height", required=True, lo=64, hi=2048)
        count = check.int("image_num", required=True, lo=1, hi=8)
        fmt = check.str("response_image_format", choices=("png", "webp", "jpeg"), default="png")
        if fails(prompt):
            raise SandboxError("media", "TASK_FAILED", fails(prompt))
        units = self.domain.units("flux-1-schnell", count=count, width=width, height=height, steps=steps)
        self.domain.charge_now("flux-1-schnell", units, count)
        images = self.domain.image_list(self.domain.base_url(request), fmt, width, height, count, seed, ttl=FLUX_TTL)
        for image in images:
            image.pop("nsfw_detection_result")
        return JSONResponse({"images": images, "task": {"task_id": str(uuid.uuid4())}})

    def seedream_size(self, check: Check) -> tuple[int, int]:
        """Seedream 4.x: "1K"/"2K"/"4K", or WxH with 1280x720 to 4096x4096 pixels in all."""
        size = check.str("size", default="2048x2048", min_len=2, max_len=16)
        if size.upper() in SEEDREAM_SIZES:
            return SEEDREAM_SIZES[size.upper()]
        width, height = parse_size(size, "x", SEEDREAM_MIN_SIDE, 4096, "size")
        if not SEEDREAM_MIN_PIXELS <= width * height <= 4096 * 4096:
            raise bad(f"size {size!r} has {width * height} pixels; 1280x720 to 4096x4096 are allowed")
        return width, height

    async def seedream3(self, request: Request) -> JSONResponse:
        body = await self.domain.body(request)
        check = Check(body)
        prompt = check.str("prompt", required=True, min_len=1, max_len=4000)
        check_prompt(prompt)
        check.str("model", choices=("seedream-3-0-t2i-250415",))
        response_format = check.str("response_format", choices=("url", "b64_json"), default="url")
        width, height = parse_size(check.str("size", default="1024x1024"), "x", 512, 2048, "size")
        check.int("seed", lo=-1, hi=2147483647)
        check.num("guidance_scale", lo=1, hi=10)
        check.bool("watermark", True)
        if fails(prompt):
            raise SandboxError("media", "TASK_FAILED", fails(prompt))
        self.domain.charge_now("seedream-3-0", self.domain.units("seedream-3-0", count=1), 1)
        if response_format == "b64_json":
            data = media_encode.image("jpeg", width, height, self.domain.pick_seed(None))
            return JSONResponse({"image_urls": [], "binary_data_base64": [base64.b64encode(data).decode()]})
        base, seed = self.domain.base_url(request), self.domain.pick_seed(None)
        images = self.domain.image_list(base, "jpeg", width, height, 1, seed)
        return JSONResponse({"image_urls": [i["image_url"] for i in images], "binary_data_base64": []})

    def seedream4(self, product: str, refs_field: str, max_refs: int) -> Handler:
        async def handler(request: Request) -> JSONResponse:
            body = await self.domain.body(request)
            check = Check(body)
            prompt = check.str("prompt", required=True, min_len=1, max_len=4000)
            check_prompt(prompt)
            for i, ref in enumerate(check.list(refs_field, hi=max_refs)):
                read_image(ref, f"{refs_field}[{i}]", IMAGE_LIMITS["reference"], self.files)
            width, height = self.seedream_size(check)
            mode = check.str("sequential_image_generation", choices=("disabled", "auto"), default="disabled")
            if product == "seedream-4.0":
                most = check.int("max_images", lo=1, hi=15, default=15)
            else:
                options = check.obj("sequential_image_generation_options")
                most = options.int("max_images", lo=1, hi=15, default=15) if options else 15
                prompt_options = check.obj("optimize_prompt_options")
                if prompt_options is not None:
                    prompt_options.str("mode", choices=("standard",))
            check.bool("watermark", True)
            # "auto" lets the model decide how many images, up to max_images; the sandbox
            # always makes max_images, so a quote for max_images is exact.
            count = most if mode == "auto" else 1
            if fails(prompt):
                raise SandboxError("media", "TASK_FAILED", fails(prompt))
            self.domain.charge_now(product, self.domain.units(product, count=count), count)
            base, seed = self.domain.base_url(request), self.domain.pick_seed(None)
            images = self.domain.image_list(base, "jpeg", width, height, count, seed)
            return JSONResponse({"images": [i["image_url"] for i in images]})

        return handler

    async def qwen(self, request: Request) -> JSONResponse:
        body = await self.domain.body(request)
        check = Check(body)
        prompt = check.str("prompt", required=True, min_len=1, max_len=2000)
        check_prompt(prompt)
        width, height = parse_size(check.str("size", default="1024*1024"), "*", 256, 1536, "size")
        return self.submit_images(request, body, task_type="QWEN_IMAGE_TEXT_TO_IMAGE", product="qwen-image",
                                  width=width, height=height, count=1, seed=self.domain.pick_seed(None), prompt=prompt,
                                  fmt="jpeg")

    def routes(self) -> list[Route]:
        return [
            Route("/v3/async/txt2img", self.txt2img, methods=["POST"]),
            Route("/v3/async/img2img", self.img2img, methods=["POST"]),
            Route("/v3/async/inpainting", self.inpainting, methods=["POST"]),
            Route("/v3/async/upscale", self.upscale, methods=["POST"]),
            Route("/v3/async/image-remove-background", self.remove_background_async, methods=["POST"]),
            Route("/v3/remove-background", self.sync_edit("remove-background"), methods=["POST"]),
            Route("/v3/replace-background", self.sync_edit("replace-background", prompt=True), methods=["POST"]),
            Route("/v3/cleanup", self.sync_edit("cleanup", mask=True), methods=["POST"]),
            Route("/v3/remove-text", self.sync_edit("remove-text"), methods=["POST"]),
            Route("/v3beta/flux-1-schnell", self.flux, methods=["POST"]),
            Route("/v3/seedream-3-0-txt2img", self.seedream3, methods=["POST"]),
            Route("/v3/seedream-4.0", self.seedream4("seedream-4.0", "images", 10), methods=["POST"]),
            Route("/v3/seedream-4.5", self.seedream4("seedream-4.5", "image", 14), methods=["POST"]),
            Route("/v3/async/qwen-image-txt2img", self.qwen, methods=["POST"]),
        ]


def routes(domain: MediaCore) -> list[Route]:
    return ImageEndpoints(domain).routes()
