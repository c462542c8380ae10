"""Video endpoints (Novita docs: model-apis-txt2video, -img2video and the video model pages): every one is an async task with ``videos[]``.

Each endpoint reads its documented body and yields a ``Job``: duration, size, price key
and prompt. Task types that were never captured are named after the path (inferred).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from novita_mcp.client.media_formats import AUDIO_LIMITS, IMAGE_LIMITS, sniff
from novita_mcp.pricing.media import PRICES
from novita_mcp.sandbox import media_encode
from novita_mcp.sandbox.errors import SandboxError
from novita_mcp.sandbox.media_common import (
    Check,
    Extra,
    bad,
    check_prompt,
    fails,
    parse_extra,
    parse_size,
    read_bytes,
    read_image,
)
from novita_mcp.sandbox.media_core import MediaCore
from novita_mcp.sandbox.media_files import IMAGE_TTL

__all__ = ["routes", "Job", "VIDEO_QUEUE_S", "video_run_seconds"]

VIDEO_QUEUE_S = 5.0
ASPECTS = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080)}
WAN25_SIZES = ("832*480", "480*832", "624*624", "1280*720", "720*1280", "960*960", "1920*1080", "1080*1920",
               "1440*1440")
WAN22_SIZES = ("1920*1080", "1080*1920", "1280*720", "720*1280", "832*480", "480*832", "624*624")


def video_run_seconds(duration: float) -> float:
    """How long the sandbox 'renders': 30 s plus 6 s per second of video."""
    return 30.0 + 6.0 * duration


@dataclass(frozen=True)
class Job:
    product: str
    seconds: float
    width: int
    height: int
    prompt: str | None
    seed: int | None = None


def _scale(size: tuple[int, int], height: int) -> tuple[int, int]:
    """An aspect ratio's frame at a given height (720p, 1080p, ...)."""
    w, h = size
    return (w * height // h, height) if w >= h else (height, h * height // w)


def _image(domain: MediaCore, value: Any, field: str, limits: str = "video_first_frame") -> tuple[int, int]:
    image = read_image(value, field, IMAGE_LIMITS[limits], domain.files)
    return image.info.width, image.info.height


def _audio(domain: MediaCore, value: Any, field: str) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value:
        raise bad(f"{field} must be a URL or a data URI")
    limits = AUDIO_LIMITS["wan_audio"]
    if value.startswith(("http://", "https://")):
        stored = domain.files.lookup(value)
        if stored is None:
            return  # foreign URL: taken on trust (no outgoing requests)
        data = stored.data
    else:
        data = read_bytes(value, field)
    if len(data) > limits.max_bytes or sniff(data).format not in limits.formats:
        raise SandboxError("media", "INVALID_AUDIO_FILE", f"{field} must be wav or mp3, at most 15 MB")


def _kling(path: str, check: Check, domain: MediaCore) -> Job:
    prompt = check.str("prompt", required=True, min_len=1, max_len=2000 if "1.6" in path else 2500)
    check.str("negative_prompt", max_len=2500)
    check.num("guidance_scale", lo=0, hi=1)
    product, height = path, 1080
    if path == "kling-o1-t2v":
        seconds = check.int("duration", choices=(5, 10), default=5)
    elif path == "kling-v1.6-t2v":
        mode = check.str("mode", choices=("Standard", "Professional"), default="Standard")
        seconds, height = 5, 1080 if mode == "Professional" else 720
    else:
        seconds = int(check.str("duration", choices=("5", "10"), default="5"))
    if "i2v" in path:
        size = _image(domain, check.body.get("image"), "image")
        if path == "kling-v2.1-i2v":
            mode = check.str("mode", choices=("Standard", "Professional"), default="Standard")
            height = 1080 if mode == "Professional" else 720
            product = "kling-v2.1-i2v-professional" if mode == "Professional" else path
        width, height = _scale(size, height)
    else:
        width, height = _scale(ASPECTS[check.str("aspect_ratio", choices=tuple(ASPECTS), default="16:9")], height)
    return Job(product, seconds, width, height, prompt)


def _hailuo(path: str, check: Check, domain: MediaCore) -> Job:
    prompt = check.str("prompt", required=True, min_len=1, max_len=2000)
    check.bool("enable_prompt_expansion", True)
    if path == "minimax-video-01":
        if check.body.get("image_url") is not None:
            _image(domain, check.body.get("image_url"), "image_url", "reference")
        return Job(path, 6, 1280, 720, prompt)
    seconds = check.int("duration", choices=(6, 10), default=6)
    resolution = check.str("resolution", choices=("768P", "1080P"), default="768P")
    if resolution == "1080P" and seconds != 6:
        raise bad("resolution 1080P is only available for duration 6")
    first = check.body.get("image", check.body.get("image_url"))  # an older revision named it image_url
    if path.endswith("i2v") and first is None:
        raise bad("image is required")
    if first is not None:
        _image(domain, first, "image", "reference")
    if check.body.get("end_image") is not None:
        _image(domain, check.body.get("end_image"), "end_image", "reference")
    height = 1080 if resolution == "1080P" else 768
    product = "minimax-hailuo-02-1080p" if path == "minimax-hailuo-02" and resolution == "1080P" else path
    return Job(product, seconds, height * 16 // 9, height, prompt)


def _vidu(path: str, check: Check, domain: MediaCore) -> Job:
    prompt = check.str("prompt", required=True, min_len=1, max_len=1500)
    check.str("style", choices=("general", "anime"))
    seconds = check.int("duration", choices=(5,), default=5)
    seed = check.int("seed", lo=0, hi=2147483647)
    aspect = check.str("aspect_ratio", choices=("16:9", "9:16", "1:1"), default="16:9")
    check.str("resolution", choices=("1080p",))
    check.str("movement_amplitude", choices=("auto", "small", "medium", "large"))
    check.bool("bgm")
    if path == "vidu-q1-reference2video":
        for i, ref in enumerate(check.list("images", required=True, lo=1, hi=7)):
            _image(domain, ref, f"images[{i}]", "reference")
    width, height = _scale(ASPECTS[aspect], 1080)
    return Job(path, seconds, width, height, prompt, seed)


def _wan(path: str, check: Check, domain: MediaCore) -> Job:
    if path == "wan-t2v":
        check.str("model_name", required=True, choices=("wan2.1-t2v",))
        width = check.int("width", required=True, choices=(480, 720, 832, 1280))
        pairs = {480: 832, 832: 480, 720: 1280, 1280: 720}
        height = check.int("height", required=True, choices=(pairs[width],))
        for i, lora in enumerate(check.list("loras", hi=3)):
            item = Check(lora, f"loras[{i}].")
            item.str("path", required=True, min_len=1)
            item.num("scale", lo=0, hi=4)
        seed = check.int("seed", lo=-1, hi=9999999999)
        prompt = check.str("prompt", required=True, min_len=1, max_len=2000)
        check.str("negative_prompt", max_len=2000)
        check.int("steps", lo=1, hi=40)
        check.num("guidance_scale", lo=0, hi=20)
        check.num("flow_shift", lo=0, hi=20)
        return Job(path, 5, width, height, prompt, seed)
    inp = check.obj("input", required=True)
    params = check.obj("parameters") or Check({}, "parameters.")
    assert inp is not None
    prompt = inp.str("prompt", required=True, min_len=1, max_len=2000)
    inp.str("negative_prompt", max_len=500)
    params.bool("prompt_extend", True)
    seed = params.int("seed", lo=-1, hi=2147483647)
    if path == "wan-2.2-t2v":
        size = params.str("size", choices=WAN22_SIZES, default="1920*1080")
        seconds = 5
    else:
        size = params.str("size", choices=WAN25_SIZES, default="1920*1080")
        seconds = params.int("duration", choices=(5, 10), default=5)
        _audio(domain, inp.body.get("audio_url"), "input.audio_url")
        if path == "wan-2.5-i2v-preview":
            _image(domain, inp.body.get("img_url"), "input.img_url", "reference")
    width, height = parse_size(size, "*", 256, 1920, "parameters.size")
    return Job(path, seconds, width, height, prompt, seed)


def _hunyuan(path: str, check: Check, domain: MediaCore) -> Job:
    check.str("model_name", required=True, choices=("hunyuan-video-fast",))
    width = check.int("width", required=True, choices=(720, 1280))
    height = check.int("height", required=True, choices=(1280 if width == 720 else 720,))
    seed = check.int("seed", lo=-1, hi=9999999999)
    check.int("steps", lo=2, hi=30)
    prompt = check.str("prompt", required=True, min_len=1, max_len=2000)
    frames = check.int("frames", lo=1, hi=129, default=85)  # range not documented; 85 in the example
    return Job(path, round(frames / 24, 2), width, height, prompt, seed)


def _txt2video(path: str, check: Check, domain: MediaCore) -> Job:
    name = check.str("model_name", required=True, min_len=1)
    if not domain.models.exists(name, "checkpoint") or domain.models.is_sdxl(name):
        raise bad(f"model_name {name!r} is not an SD 1.x checkpoint; list them with GET /v3/model")
    width = check.int("width", required=True, lo=256, hi=1024)
    height = check.int("height", required=True, lo=256, hi=1024)
    check.int("steps", required=True, lo=1, hi=50)
    prompts = check.list("prompts", required=True, lo=1, hi=16)
    total, texts = 0, []
    for i, item in enumerate(prompts):
        part = Check(item, f"prompts[{i}].")
        total += part.int("frames", required=True, lo=8, hi=64)
        texts.append(part.str("prompt", required=True, min_len=1, max_len=1024))
    if total > 128:
        raise bad(f"the frames of all prompts add up to {total}; at most 128 are allowed")
    check.str("negative_prompt", max_len=1024)
    check.num("guidance_scale", lo=1, hi=30)
    seed = check.int("seed", lo=-1)
    check.list("loras", hi=5)
    check.list("embeddings", hi=5)
    check.bool("closed_loop")
    check.int("clip_skip", lo=1, hi=12)
    return Job(path, total / 8, width, height, " ".join(texts), seed)


def _img2video(path: str, check: Check, domain: MediaCore) -> Job:
    model = check.str("model_name", required=True, choices=("SVD", "SVD-XT"))
    image = read_image(check.body.get("image_file"), "image_file", IMAGE_LIMITS["svd"], domain.files, urls=False)
    frames = check.int("frames_num", required=True, choices=(14,) if model == "SVD" else (25,))
    fps = check.int("frames_per_second", lo=1, hi=30, default=6)
    check.str("image_file_resize_mode", choices=("ORIGINAL_DIMENSION", "CROP_TO_ASPECT_RATIO"))
    check.int("steps", required=True, lo=1, hi=50)
    seed = check.int("seed", lo=-1)
    check.int("motion_bucket_id", lo=1, hi=255)
    check.num("cond_aug", lo=0, hi=1)
    check.bool("enable_frame_interpolation")
    return Job(path, round(frames / fps, 2), image.info.width, image.info.height, None, seed)


_PARSERS = {
    "txt2video": _txt2video, "img2video": _img2video, "hunyuan-video-fast": _hunyuan, "wan-t2v": _wan,
    "wan-2.2-t2v": _wan, "wan-2.5-t2v-preview": _wan, "wan-2.5-i2v-preview": _wan,
    "kling-v2.1-t2v-master": _kling, "kling-v2.1-i2v-master": _kling, "kling-v2.1-i2v": _kling,
    "kling-v1.6-t2v": _kling, "kling-o1-t2v": _kling, "minimax-hailuo-02": _hailuo, "minimax-video-01": _hailuo,
    "minimax-hailuo-2.3-fast-i2v": _hailuo, "vidu-q1-text2video": _vidu, "vidu-q1-reference2video": _vidu,
}
_TASK_TYPES = {"txt2video": "TXT_TO_VIDEO", "img2video": "IMG_TO_VIDEO", "hunyuan-video-fast": "HUNYUAN_VIDEO_FAST"}


def task_type(path: str) -> str:
    return _TASK_TYPES.get(path) or re.sub(r"[^A-Z0-9]+", "_", path.upper())


def routes(domain: MediaCore) -> list[Route]:
    def endpoint(path: str):  # type: ignore[no-untyped-def]  # a route handler factory
        parse = _PARSERS[path]

        async def handler(request: Request) -> JSONResponse:
            body = await domain.body(request)
            job = parse(path, Check(body), domain)
            check_prompt(job.prompt)
            extra = parse_extra(body) if path in ("txt2video", "img2video") else Extra(
                "png", "mp4", False, 0, False, *_webhook(body))
            units = domain.units(job.product, extra, count=1, seconds=job.seconds)
            quantity = Decimal(str(job.seconds)) if PRICES[job.product].unit == "second" else Decimal(1)
            base = domain.base_url(request)
            fmt = extra.video_type

            def produce() -> dict[str, list[dict[str, Any]]]:
                if fmt == "gif":
                    data = media_encode.gif(min(job.width, 512), min(job.height, 512))
                else:
                    data = media_encode.mp4(job.width, job.height, job.seconds)
                url, _ = domain.files.put(data, fmt, base_url=base, ttl=IMAGE_TTL, stem="video")
                return {"videos": [{"video_url": url, "video_url_ttl": str(IMAGE_TTL), "video_type": fmt}]}

            task = domain.tasks.submit(task_type=task_type(path), queue_s=VIDEO_QUEUE_S,
                                       run_s=video_run_seconds(job.seconds), produce=produce, product=job.product,
                                       amount_units=units, quantity=quantity, seed=domain.pick_seed(job.seed),
                                       extra=extra,
                                       fail_reason=fails(job.prompt))
            return JSONResponse({"task_id": task.id})

        return handler

    return [Route(f"/v3/async/{path}", endpoint(path), methods=["POST"]) for path in _PARSERS]


def _webhook(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """Newer video endpoints take only ``extra.webhook`` (and reject the SD-style options silently)."""
    raw = body.get("extra")
    if not isinstance(raw, dict) or not isinstance(raw.get("webhook"), dict):
        return None, None
    parsed = parse_extra({"extra": {"webhook": raw["webhook"]}})
    return parsed.webhook_url, parsed.webhook_test_status
