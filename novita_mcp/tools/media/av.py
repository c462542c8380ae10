"""Video and audio tools: generate_video, text_to_speech, transcribe_audio (all billable)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from novita_mcp.client.media_formats import AUDIO_LIMITS, IMAGE_LIMITS
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
    Source,
    audio_source,
    deliver_urls,
    describe_input,
    image_source,
)
from novita_mcp.tools.media.tasks import Generation, done_text, follow_submitted

__all__ = ["generate_video", "text_to_speech", "transcribe_audio", "VIDEO_MODELS"]

VideoModel = Literal["kling-v2.1-master", "kling-v2.1", "kling-o1", "minimax-hailuo-02", "minimax-hailuo-2.3-fast",
                     "wan-2.5-preview", "wan-2.2", "wan-2.1", "vidu-q1", "hunyuan-video-fast", "svd", "svd-xt",
                     "animatediff"]
Aspect = Literal["16:9", "9:16", "1:1"]
Resolution = Literal["480p", "720p", "768p", "1080p"]
HUNYUAN_SECONDS = Decimal(85) / 24  # 85 frames at 24 fps (the documented example)


@dataclass(frozen=True)
class VideoSpec:
    durations: tuple[int, ...]  # allowed seconds, default first; () when the length is fixed
    image: Literal["none", "optional", "required"]
    resolutions: tuple[str, ...]  # allowed, default first
    aspects: tuple[str, ...]
    product: Callable[[dict[str, Any]], str]
    seconds: float | None = None  # fixed length


def _const(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda _args: name


VIDEO_MODELS: dict[str, VideoSpec] = {
    "kling-v2.1-master": VideoSpec((5, 10), "optional", ("1080p",), ("16:9", "9:16", "1:1"),
                                   lambda a: "kling-v2.1-i2v-master" if a.get("image") else "kling-v2.1-t2v-master"),
    "kling-v2.1": VideoSpec((5, 10), "required", ("720p", "1080p"), ("16:9", "9:16", "1:1"),
                            lambda a: "kling-v2.1-i2v-professional" if a.get("resolution") == "1080p"
                            else "kling-v2.1-i2v"),
    "kling-o1": VideoSpec((5, 10), "none", ("1080p",), ("16:9", "9:16", "1:1"), _const("kling-o1-t2v")),
    "minimax-hailuo-02": VideoSpec((6, 10), "optional", ("768p", "1080p"), ("16:9",),
                                   lambda a: "minimax-hailuo-02-1080p" if a.get("resolution") == "1080p"
                                   else "minimax-hailuo-02"),
    "minimax-hailuo-2.3-fast": VideoSpec((6, 10), "required", ("768p", "1080p"), ("16:9",),
                                         _const("minimax-hailuo-2.3-fast-i2v")),
    "wan-2.5-preview": VideoSpec((5, 10), "optional", ("1080p", "720p", "480p"), ("16:9", "9:16", "1:1"),
                                 lambda a: "wan-2.5-i2v-preview" if a.get("image") else "wan-2.5-t2v-preview"),
    "wan-2.2": VideoSpec((), "none", ("1080p", "720p", "480p"), ("16:9", "9:16"), _const("wan-2.2-t2v"), 5),
    "wan-2.1": VideoSpec((), "none", ("720p", "480p"), ("16:9", "9:16"), _const("wan-t2v"), 5),
    "vidu-q1": VideoSpec((), "optional", ("1080p",), ("16:9", "9:16", "1:1"),
                         lambda a: "vidu-q1-reference2video" if a.get("image") else "vidu-q1-text2video", 5),
    "hunyuan-video-fast": VideoSpec((), "none", ("720p",), ("16:9", "9:16"), _const("hunyuan-video-fast"),
                                    float(HUNYUAN_SECONDS)),
    "svd": VideoSpec((), "required", ("720p",), ("16:9", "9:16", "1:1"), _const("img2video"), 14 / 6),
    "svd-xt": VideoSpec((), "required", ("720p",), ("16:9", "9:16", "1:1"), _const("img2video"), 25 / 6),
    "animatediff": VideoSpec((2, 4, 8, 16), "none", ("480p",), ("16:9", "9:16", "1:1"), _const("txt2video")),
}
_SEEDED = {"wan-2.5-preview", "wan-2.2", "wan-2.1", "vidu-q1", "hunyuan-video-fast", "svd", "svd-xt", "animatediff"}
_NEGATIVE = {"kling-v2.1-master", "kling-v2.1", "wan-2.5-preview", "wan-2.2", "wan-2.1", "animatediff"}
_SIZES = {  # (resolution, aspect) -> "W*H" for Wan
    ("480p", "16:9"): "832*480", ("480p", "9:16"): "480*832", ("480p", "1:1"): "624*624",
    ("720p", "16:9"): "1280*720", ("720p", "9:16"): "720*1280", ("720p", "1:1"): "960*960",
    ("1080p", "16:9"): "1920*1080", ("1080p", "9:16"): "1080*1920", ("1080p", "1:1"): "1440*1440",
}


def _video_quote(args: dict[str, Any]) -> tuple[str, float, Decimal, str]:
    """Check the combination; return (price key, seconds, USD, basis)."""
    model = args["model"]
    spec = VIDEO_MODELS[model]
    duration, resolution, aspect = args.get("duration"), args.get("resolution"), args.get("aspect_ratio") or "16:9"
    if spec.durations:
        duration = duration or spec.durations[0]
        if duration not in spec.durations:
            raise ToolError(f"{model} makes videos of {' or '.join(map(str, spec.durations))} s; got {duration}.")
    elif duration is not None and duration != round(spec.seconds or 0):
        raise ToolError(f"{model} has a fixed length of about {spec.seconds:.1f} s; leave duration empty.")
    if resolution is not None and resolution not in spec.resolutions:
        raise ToolError(f"{model} offers resolution {', '.join(spec.resolutions)}; got {resolution}.")
    if aspect not in spec.aspects:
        raise ToolError(f"{model} offers aspect_ratio {', '.join(spec.aspects)}; got {aspect}.")
    if spec.image == "required" and not args.get("image"):
        raise ToolError(f"{model} animates an image: pass image (URL, local path or base64).")
    if spec.image == "none" and args.get("image"):
        raise ToolError(f"{model} is text-to-video and takes no image; choose a model that accepts one "
                        "(kling-v2.1-master, minimax-hailuo-02, wan-2.5-preview, vidu-q1, svd).")
    if args.get("seed") is not None and model not in _SEEDED:
        raise ToolError(f"{model} takes no seed; seed works with {', '.join(sorted(_SEEDED))}.")
    if args.get("negative_prompt") and model not in _NEGATIVE:
        raise ToolError(f"{model} takes no negative_prompt; it works with {', '.join(sorted(_NEGATIVE))}.")
    if model == "minimax-hailuo-02" and resolution == "1080p" and duration != 6:
        raise ToolError("minimax-hailuo-02 makes 1080p only for 6-second videos.")
    seconds = float(duration or 0) if spec.durations else float(spec.seconds or 0)
    key = spec.product(args)
    return key, seconds, price_usd(key, seconds=seconds), basis(key, seconds=seconds)


async def plan_generate_video(app: Services, prompt: str, model: str = "minimax-hailuo-02",
                              duration: int | None = None, aspect_ratio: str | None = None,
                              resolution: str | None = None, image: str | None = None,
                              negative_prompt: str | None = None, seed: int | None = None) -> Plan:
    """Facts for the body: (the checked arguments, seconds, quote)."""
    args = {"model": model, "duration": duration, "aspect_ratio": aspect_ratio, "resolution": resolution,
            "image": image, "prompt": prompt, "negative_prompt": negative_prompt, "seed": seed}
    _, seconds, amount, why = _video_quote(args)
    return Plan(action=f"Generate a {seconds:g}-second video with {model}", target=shown(prompt, limit=100),
                quote=Quote(amount, why), details=(f"Image: {describe_input(image)}",) if image else (),
                facts=(args, seconds, amount),
                check="list_bills for today's video charges, or wait_for_task with the task id if one was given")


def _video_body(model: str, args: dict[str, Any], image: Source | None, seconds: float) -> tuple[str, dict[str, Any]]:
    prompt, neg, seed = args["prompt"], args.get("negative_prompt"), args.get("seed")
    aspect, res = args.get("aspect_ratio") or "16:9", args.get("resolution")
    spec = VIDEO_MODELS[model]
    res = res or spec.resolutions[0]
    opt = {k: v for k, v in (("negative_prompt", neg),) if v}
    d = int(seconds)
    if model == "kling-v2.1-master":
        if image is not None:
            return "kling-v2.1-i2v-master", {"image": image.url or image.b64, "prompt": prompt, "duration": str(d),
                                             **opt}
        return "kling-v2.1-t2v-master", {"prompt": prompt, "duration": str(d), "aspect_ratio": aspect, **opt}
    if model == "kling-v2.1":
        assert image is not None
        return "kling-v2.1-i2v", {"image": image.url or image.b64, "prompt": prompt, "duration": str(d),
                                  "mode": "Professional" if res == "1080p" else "Standard", **opt}
    if model == "kling-o1":
        return "kling-o1-t2v", {"prompt": prompt, "duration": d, "aspect_ratio": aspect}
    if model.startswith("minimax"):
        body: dict[str, Any] = {"prompt": prompt, "duration": d, "resolution": res.upper()}
        if image is not None:
            body["image"] = image.url_or_data_uri()
        return ("minimax-hailuo-02" if model == "minimax-hailuo-02" else "minimax-hailuo-2.3-fast-i2v"), body
    if model == "wan-2.5-preview":
        inp: dict[str, Any] = {"prompt": prompt, **opt}
        params: dict[str, Any] = {"size": _SIZES[(res, aspect)], "duration": d}
        if seed is not None:
            params["seed"] = seed
        if image is not None:
            inp["img_url"] = image.url_or_data_uri()
            return "wan-2.5-i2v-preview", {"input": inp, "parameters": params}
        return "wan-2.5-t2v-preview", {"input": inp, "parameters": params}
    if model == "wan-2.2":
        params = {"size": _SIZES[(res, aspect)], **({"seed": seed} if seed is not None else {})}
        return "wan-2.2-t2v", {"input": {"prompt": prompt, **opt}, "parameters": params}
    if model == "wan-2.1":
        width, height = map(int, _SIZES[(res, aspect)].split("*"))
        return "wan-t2v", {"model_name": "wan2.1-t2v", "width": width, "height": height, "prompt": prompt,
                           "seed": -1 if seed is None else seed, **opt}
    if model == "vidu-q1":
        body = {"prompt": prompt, "duration": 5, "aspect_ratio": aspect, "resolution": "1080p"}
        if seed is not None:
            body["seed"] = seed
        if image is not None:
            return "vidu-q1-reference2video", {**body, "images": [image.url_or_data_uri()]}
        return "vidu-q1-text2video", body
    if model == "hunyuan-video-fast":
        width, height = (1280, 720) if aspect == "16:9" else (720, 1280)
        return "hunyuan-video-fast", {"model_name": "hunyuan-video-fast", "width": width, "height": height,
                                      "prompt": prompt, "seed": -1 if seed is None else seed, "steps": 20,
                                      "frames": 85}
    if model in ("svd", "svd-xt"):
        assert image is not None
        return "img2video", {"model_name": "SVD" if model == "svd" else "SVD-XT", "image_file": image.b64,
                             "frames_num": 14 if model == "svd" else 25, "frames_per_second": 6, "steps": 20,
                             "seed": -1 if seed is None else seed}
    frames = d * 8
    side = {"16:9": (768, 432), "9:16": (432, 768), "1:1": (512, 512)}[aspect]
    prompts = [{"frames": min(64, frames - i), "prompt": prompt} for i in range(0, frames, 64)]
    return "txt2video", {"model_name": "darkSushiMixMix_225D_64380.safetensors", "width": side[0], "height": side[1],
                         "steps": 20, "prompts": prompts, "seed": -1 if seed is None else seed, **opt}


@tool(title="Generate video", effects={Effect.BILLABLE}, plan=plan_generate_video)
async def generate_video(
    ctx: Context,
    prompt: Annotated[str, Field(min_length=1, max_length=1500)],
    model: VideoModel = "minimax-hailuo-02",
    duration: Annotated[int | None, Field(ge=1, le=16, description="Seconds.")] = None,
    aspect_ratio: Annotated[Aspect | None, Field(description="Default 16:9.")] = None,
    resolution: Resolution | None = None,
    image: Annotated[str | None, Field(max_length=40_000_000, description=(
        "First frame or reference: URL, local path or base64.") )] = None,
    negative_prompt: Annotated[str | None, Field(max_length=500)] = None,
    seed: Annotated[int | None, Field(ge=0, le=2147483647)] = None,
    max_wait_seconds: MaxWait = 40,
    *,
    run: Run,
) -> Reply[Generation]:
    """Make a short video (5-10 s; takes minutes) from a prompt, optionally from an image.

    Image only: kling-v2.1, minimax-hailuo-2.3-fast, svd/svd-xt (2-4 s). Cheapest: animatediff.
    """
    app = services(ctx)
    args, seconds, quote = run.plan.facts
    source = None
    if image:
        limits = {"kling-v2.1-master": "video_first_frame", "kling-v2.1": "video_first_frame", "svd": "svd",
                  "svd-xt": "svd"}.get(model, "reference")
        source = await image_source(ctx, image, "image", IMAGE_LIMITS[limits], need_bytes=model.startswith("svd"))
    path, body = _video_body(model, args, source, seconds)
    task_id = await app.client.media.submit(f"/v3/async/{path}", body)
    run.done(resource_id=task_id)
    return await follow_submitted(ctx, app, task_id, max_wait_seconds, model=model, quote=quote)


# --- speech ----------------------------------------------------------------------------------

SpeechModel = Literal["minimax-speech-02-hd", "minimax-speech-02-turbo", "minimax-speech-2.8-hd",
                      "minimax-speech-2.8-turbo"]


def _speech_quote(args: dict[str, Any]) -> tuple[Decimal, str]:
    chars = len(args["text"])
    return price_usd(args["model"], chars=chars), basis(args["model"], chars=chars)


async def plan_text_to_speech(app: Services, text: str, model: str = "minimax-speech-02-turbo") -> Plan:
    amount, why = _speech_quote({"model": model, "text": text})
    return Plan(action=f"Synthesize speech with {model} ({len(text)} characters)", target=shown(text, limit=80),
                quote=Quote(amount, why), check="list_bills for today's speech charges")


@tool(title="Text to speech", effects={Effect.BILLABLE}, plan=plan_text_to_speech)
async def text_to_speech(
    ctx: Context,
    text: Annotated[str, Field(min_length=1, max_length=9999, description="<#0.5#> is a 0.5 s pause.")],
    model: Annotated[SpeechModel, Field(description="-hd: best; -turbo: faster, cheaper.")] = "minimax-speech-02-turbo",
    voice_id: Annotated[str, Field(min_length=1, max_length=100, description=(
        "e.g. Calm_Woman, Deep_Voice_Man."))] = "Wise_Woman",
    speed: Annotated[float, Field(ge=0.5, le=2.0)] = 1.0,
    emotion: Literal["happy", "sad", "angry", "fearful", "disgusted", "surprised", "neutral"] | None = None,
    audio_format: Literal["mp3", "wav", "flac"] = "mp3",
    *,
    run: Run,
) -> Reply[Generation]:
    """Turn text into spoken audio (priced per character)."""
    app = services(ctx)
    quote = run.plan.amount_usd
    voice: dict[str, Any] = {"voice_id": voice_id, "speed": speed}
    if emotion:
        voice["emotion"] = emotion
    body = {"text": text, "voice_setting": voice, "output_format": "url",
            "audio_setting": {"format": audio_format, "sample_rate": 32000, "channel": 1}}
    answer = await app.client.media.speech(model, body)
    run.done()
    if not answer.audio.startswith(("http://", "https://")):
        raise ToolError("Novita answered with inline audio instead of a URL; nothing could be linked.")
    fmt = answer.audio.split("?")[0].rsplit(".", 1)[-1].lower()
    delivery = await deliver_urls(app, [("audio", answer.audio, fmt, 86400)], stem=f"speech-{secrets.token_hex(3)}")
    data = Generation(status="succeeded", model=model, files=delivery.files, quote_usd=quote, charged_usd=quote)
    return Reply(data, done_text(model, delivery.files, quote), charged_usd=quote, extra=delivery.blocks)


async def plan_transcribe(app: Services, audio: str) -> Plan:
    amount = price_usd("glm-asr")
    return Plan(action="Transcribe audio with glm-asr", target=describe_input(audio),
                quote=Quote(amount, basis("glm-asr")), check="list_bills for today's speech charges")


@tool(title="Transcribe audio", effects={Effect.BILLABLE}, plan=plan_transcribe)
async def transcribe_audio(
    ctx: Context,
    audio: Annotated[str, Field(min_length=1, max_length=40_000_000, description=(
        "URL, local path or base64: wav, mp3, flac, ogg, m4a; <=25 MB."))],
    prompt: Annotated[str | None, Field(max_length=500, description="Words that help recognition.")] = None,
) -> Reply[Generation]:
    """Speech to text with GLM-ASR (a small fixed price per recording)."""
    app = services(ctx)
    source = await audio_source(ctx, audio, "audio", AUDIO_LIMITS["asr"])
    text = await app.client.media.transcribe(source.url_or_data_uri(), prompt)
    quote = price_usd("glm-asr")
    data = Generation(status="succeeded", model="glm-asr", text=text[:20_000], quote_usd=quote, charged_usd=quote)
    excerpt = text if len(text) <= 2000 else text[:2000] + " …"
    return Reply(data, f"Transcript ({len(text)} characters):\n{excerpt}", charged_usd=quote)
