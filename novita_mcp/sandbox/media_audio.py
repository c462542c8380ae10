"""Speech endpoints (Novita docs: model-apis-minimax-speech-*, model-apis-glm-asr): MiniMax TTS (sync, async, 2.8 envelope) and GLM ASR.

The sandbox always writes WAV (16-bit mono, at most 16 kHz, at most 30 s), whatever
``audio_setting.format`` asks for, since it has no MP3/FLAC encoder; the URL's extension
and the task's ``audio_type`` say ``wav``. Speech lasts about one second per 15
characters. A transcription of audio this sandbox produced returns the text it was made
from; any other audio gets a fixed placeholder transcript.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from novita_mcp.client.media_formats import AUDIO_LIMITS, sniff
from novita_mcp.sandbox import media_encode
from novita_mcp.sandbox.errors import SandboxError
from novita_mcp.sandbox.media_common import (
    Check,
    bad,
    check_prompt,
    fails,
    parse_extra,
    read_bytes,
)
from novita_mcp.sandbox.media_core import MediaCore
from novita_mcp.sandbox.media_files import AUDIO_TTL, IMAGE_TTL

# A route handler, as the factories below make them.
Handler = Callable[[Request], Awaitable[Response]]

__all__ = ["routes", "speech_seconds"]

EMOTIONS = ("happy", "sad", "angry", "fearful", "disgusted", "surprised", "neutral")
SAMPLE_RATES = (8000, 16000, 22050, 24000, 32000, 44100)
PLACEHOLDER = "This is the sandbox's transcript of audio it did not generate."


def speech_seconds(text: str) -> float:
    return round(min(30.0, max(0.5, len(text) / 15)), 2)


def _speech_request(check: Check, max_chars: int) -> tuple[str, int]:
    text = check.str("text", required=True, min_len=1, max_len=max_chars - 1)
    voice = check.obj("voice_setting")
    voice_id = None
    if voice is not None:
        voice_id = voice.str("voice_id", max_len=256)
        voice.num("speed", lo=0.5, hi=2)
        voice.num("vol", lo=0, hi=10, lo_open=True)
        voice.int("pitch", lo=-12, hi=12)
        voice.str("emotion", choices=EMOTIONS)
        voice.bool("english_normalization")
    weights = check.list("timber_weights", hi=4)
    if not voice_id and not weights:
        raise bad("voice_setting.voice_id is required when timber_weights is empty")
    for i, item in enumerate(weights):
        part = Check(item, f"timber_weights[{i}].")
        part.str("voice_id", required=True, min_len=1)
        part.int("weight", required=True, lo=1, hi=100)
    audio = check.obj("audio_setting")
    rate = 32000
    if audio is not None:
        rate = audio.int("sample_rate", choices=SAMPLE_RATES, default=32000)
        audio.int("bitrate", choices=(32000, 64000, 128000, 256000))
        audio.str("format", choices=("mp3", "pcm", "flac", "wav"))
        audio.int("channel", choices=(1, 2))
    check.obj("pronunciation_dict")
    check.str("language_boost", max_len=64)
    if check.bool("stream"):
        raise bad("stream=true is not supported by the sandbox; send stream=false")
    check_prompt(text)
    return text, min(rate, 16000)


class AudioEndpoints:
    """The speech and transcription endpoints on one media domain."""

    def __init__(self, domain: MediaCore) -> None:
        self.domain = domain
        self.files = domain.files

    def synthesize(self, text: str, rate: int, base: str, ttl: int) -> tuple[str, bytes]:
        data = media_encode.wav(speech_seconds(text), rate, seed=len(text))
        url, _ = self.files.put(data, "wav", base_url=base, ttl=ttl, stem="speech", meta={"text": text})
        return url, data

    def sync_speech(self, model: str, envelope: bool = False) -> Handler:
        async def handler(request: Request) -> JSONResponse:
            body = await self.domain.body(request)
            check = Check(body)
            text, rate = _speech_request(check, 10_000)
            output = check.str("output_format", choices=("url", "hex"), default="hex")
            if fails(text):
                raise SandboxError("media", "TASK_FAILED", fails(text))
            self.domain.charge_now(model, self.domain.units(model, chars=len(text)), len(text))
            url, data = self.synthesize(text, rate, self.domain.base_url(request), AUDIO_TTL)
            audio = url if output == "url" else data.hex()
            if not envelope:
                return JSONResponse({"audio": audio, "status": 2})
            seconds = speech_seconds(text)
            return JSONResponse({
                "data": {"audio": audio, "status": 2, "subtitle_file": ""},
                "trace_id": url.rsplit("/", 2)[-2],
                "base_resp": {"status_code": 0, "status_msg": "success"},
                "extra_info": {"audio_length": int(seconds * 1000), "audio_sample_rate": rate,
                               "audio_size": len(data), "bitrate": rate * 16, "word_count": len(text.split()),
                               "invisible_character_ratio": 0, "usage_characters": len(text), "audio_format": "wav",
                               "audio_channel": 1},
            })

        return handler

    def async_speech(self, model: str) -> Handler:
        async def handler(request: Request) -> JSONResponse:
            body = await self.domain.body(request)
            text, rate = _speech_request(Check(body), 50_001)
            extra = parse_extra(body)
            base = self.domain.base_url(request)
            seconds = speech_seconds(text)

            def produce() -> dict[str, list[dict[str, Any]]]:
                url, _ = self.synthesize(text, rate, base, IMAGE_TTL)
                return {"audios": [{"audio_url": url, "audio_url_ttl": str(IMAGE_TTL), "audio_type": "wav",
                                    "audio_metadata": {"text": text, "start_time": 0, "end_time": seconds}}]}

            task = self.domain.tasks.submit(task_type="MINIMAX_SPEECH", queue_s=1.0, run_s=3.0 + seconds / 5,
                                            produce=produce, product=model,
                                            amount_units=self.domain.units(model, extra, chars=len(text)),
                                            quantity=Decimal(len(text)), seed=self.domain.pick_seed(None), extra=extra,
                                            fail_reason=fails(text))
            return JSONResponse({"task_id": task.id})

        return handler

    async def asr(self, request: Request) -> JSONResponse:
        body = await self.domain.body(request)
        check = Check(body)
        value = check.str("file", required=True, min_len=1)
        prompt = check.str("prompt", max_len=2000)
        limits = AUDIO_LIMITS["asr"]
        if value.startswith(("http://", "https://")):
            stored = self.files.lookup(value)
            data = stored.data if stored is not None else None
        else:
            data = read_bytes(value, "file")
        if data is not None and (len(data) > limits.max_bytes or sniff(data).format not in limits.formats):
            raise SandboxError("media", "INVALID_AUDIO_FILE",
                               f"file must be {', '.join(limits.formats)} audio of at most {limits.max_bytes} bytes")
        if fails(prompt):
            raise SandboxError("media", "TASK_FAILED", fails(prompt))
        self.domain.charge_now("glm-asr", self.domain.units("glm-asr", count=1), 1)
        known = self.files.find(data) if data is not None else None
        return JSONResponse({"text": known.meta.get("text", PLACEHOLDER) if known else PLACEHOLDER})

    def routes(self) -> list[Route]:
        return [
            Route("/v3/minimax-speech-02-hd", self.sync_speech("minimax-speech-02-hd"), methods=["POST"]),
            Route("/v3/minimax-speech-02-turbo", self.sync_speech("minimax-speech-02-turbo"), methods=["POST"]),
            Route("/v3/minimax-speech-2.8-hd", self.sync_speech("minimax-speech-2.8-hd", True), methods=["POST"]),
            Route("/v3/minimax-speech-2.8-turbo", self.sync_speech("minimax-speech-2.8-turbo", True), methods=["POST"]),
            Route("/v3/async/minimax-speech-02-hd", self.async_speech("minimax-speech-02-hd"), methods=["POST"]),
            Route("/v3/async/minimax-speech-02-turbo", self.async_speech("minimax-speech-02-turbo"), methods=["POST"]),
            Route("/v3/async/minimax-speech-2.5-hd-preview", self.async_speech("minimax-speech-2.5-hd-preview"),
                  methods=["POST"]),
            Route("/v3/glm-asr", self.asr, methods=["POST"]),
        ]


def routes(domain: MediaCore) -> list[Route]:
    return AudioEndpoints(domain).routes()
