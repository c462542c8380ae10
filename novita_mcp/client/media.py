"""Image, video and audio generation (Novita's model-apis-* pages; see docs/coverage.md): submit, poll,
sync endpoints, models.

A generation POST is never retried by the transport (it bills); polling a task is.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from novita_mcp.client._http import HTTPCore
from novita_mcp.client._models import APIModel, LooseInt, LooseStr
from novita_mcp.client.errors import MalformedResponseError
from novita_mcp.client.media_formats import ImageFormat
from novita_mcp.ids import MEDIA_TASK, check_id

__all__ = [
    "MediaAPI", "TaskStatus", "TaskInfo", "TaskResult", "ImageOutput", "VideoOutput", "AudioOutput", "FluxRequest",
    "FluxResult", "SyncImage", "SeedreamResult", "SpeechResult", "SDModel", "ModelPage", "Extra", "Txt2ImgRequest",
    "TERMINAL",
]

TaskStatus = Literal["TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING", "TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"]
TERMINAL = frozenset({"TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"})


class _Request(BaseModel):
    """Base of request bodies: unset optional fields are left out of the JSON."""

    model_config = ConfigDict(extra="forbid")

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class Webhook(_Request):
    url: str


class EnterprisePlan(_Request):
    enabled: bool


class Extra(_Request):
    """The ``extra`` object of SD-style endpoints (model-apis-txt2img and its siblings)."""

    response_image_type: ImageFormat | None = None
    response_video_type: Literal["mp4", "gif"] | None = None
    enable_nsfw_detection: bool | None = None
    nsfw_detection_level: Literal[0, 1, 2] | None = None
    enterprise_plan: EnterprisePlan | None = None
    webhook: Webhook | None = None


class Txt2ImgRequest(_Request):
    model_name: str
    prompt: str = Field(min_length=1, max_length=1024)
    negative_prompt: str | None = Field(None, max_length=1024)
    width: int = Field(ge=128, le=2048)
    height: int = Field(ge=128, le=2048)
    image_num: int = Field(ge=1, le=8)
    steps: int = Field(ge=1, le=100)
    guidance_scale: float = Field(ge=1, le=30)
    sampler_name: str = "Euler a"
    seed: int = Field(-1, ge=-1)


class FluxRequest(_Request):
    prompt: str = Field(min_length=1, max_length=1024)
    seed: int = Field(ge=0, le=4294967295)
    steps: int = Field(ge=1, le=100)
    width: int = Field(ge=64, le=2048)
    height: int = Field(ge=64, le=2048)
    image_num: int = Field(ge=1, le=8)
    response_image_format: ImageFormat | None = None


class ImageOutput(APIModel):
    image_url: str
    image_url_ttl: LooseInt = 0  # an int or a numeric string, depending on the model (model-apis-task-result)
    image_type: LooseStr = ""
    nsfw_detection_result: dict[str, Any] | None = None


class VideoOutput(APIModel):
    video_url: str
    video_url_ttl: LooseInt = 0
    video_type: LooseStr = ""


class AudioOutput(APIModel):
    audio_url: str
    audio_url_ttl: LooseInt = 0
    audio_type: LooseStr = ""
    audio_metadata: dict[str, Any] | None = None


class TaskInfo(APIModel):
    task_id: str
    task_type: LooseStr = ""
    status: str
    reason: LooseStr = ""
    eta: float | None = 0
    progress_percent: float | None = 0


class TaskResult(APIModel):
    task: TaskInfo
    extra: dict[str, Any] = Field(default_factory=dict)
    images: list[ImageOutput] = Field(default_factory=list)
    videos: list[VideoOutput] = Field(default_factory=list)
    audios: list[AudioOutput] = Field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.task.status in TERMINAL

    @property
    def succeeded(self) -> bool:
        return self.task.status == "TASK_STATUS_SUCCEED"


class _TaskRef(APIModel):
    task_id: str = ""


class FluxResult(APIModel):
    images: list[ImageOutput] = Field(default_factory=list)
    task: _TaskRef = Field(default_factory=_TaskRef)


class SyncImage(APIModel):
    image_file: str
    image_type: LooseStr = "png"


class SeedreamResult(APIModel):
    """Seedream 3.0 answers ``image_urls``; 4.0 and 4.5 answer ``images``."""

    image_urls: list[str] = Field(default_factory=list)
    binary_data_base64: list[str] = Field(default_factory=list)
    images: list[str] = Field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return self.images or self.image_urls


class SpeechResult(APIModel):
    audio: str
    status: LooseInt = 0


class SDModel(APIModel):
    id: LooseInt = 0
    name: LooseStr = ""
    sd_name: LooseStr = ""
    sd_name_in_api: LooseStr = ""
    type: dict[str, Any] = Field(default_factory=dict)
    base_model: LooseStr = ""
    is_sdxl: bool = False
    is_inpainting: bool = False
    is_nsfw: bool = False
    tags: list[str] = Field(default_factory=list)
    source: LooseStr = ""
    visibility: LooseStr = ""

    @property
    def kind(self) -> str:
        return str(self.type.get("name", ""))


class ModelPage(APIModel):
    models: list[SDModel] = Field(default_factory=list)
    next_cursor: str = ""


class MediaAPI:
    def __init__(self, http: HTTPCore) -> None:
        self._http = http

    async def submit(self, path: str, body: dict[str, Any]) -> str:
        """POST an async generation (``path`` like ``/v3/async/txt2img``); returns the task id."""
        data = await self._http.request("POST", path, json_body=body)
        task_id = data.get("task_id") if isinstance(data, dict) else None
        if not task_id and isinstance(data, dict) and isinstance(data.get("data"), dict):
            task_id = data["data"].get("task_id")  # the legacy v2 wrapper
        if not task_id:
            raise MalformedResponseError(f"Novita accepted {path} but returned no task_id.")
        return str(task_id)

    async def task_result(self, task_id: str) -> TaskResult:
        data = await self._http.request("GET", "/v3/async/task-result", params={"task_id": check_id(MEDIA_TASK, task_id)})
        return TaskResult.model_validate(data)

    async def flux_schnell(self, request: FluxRequest) -> FluxResult:
        return FluxResult.model_validate(await self._http.request("POST", "/v3beta/flux-1-schnell",
                                                                  json_body=request.body()))

    async def seedream(self, path: str, body: dict[str, Any]) -> SeedreamResult:
        return SeedreamResult.model_validate(await self._http.request("POST", path, json_body=body, timeout=120))

    async def sync_image(self, path: str, body: dict[str, Any]) -> SyncImage:
        """The synchronous utilities (cleanup, remove/replace background, remove text, reimagine,
        merge face): base64 back."""
        return SyncImage.model_validate(await self._http.request("POST", path, json_body=body))

    async def img2prompt(self, image_b64: str) -> str:
        """Image to Prompt (``POST /v3/img2prompt``): a text prompt that would draw this image."""
        data = await self._http.request("POST", "/v3/img2prompt", json_body={"image_file": image_b64})
        prompt = data.get("prompt") if isinstance(data, dict) else None
        if not isinstance(prompt, str):
            raise MalformedResponseError("Novita answered /v3/img2prompt without a prompt.")
        return prompt

    async def speech(self, model: str, body: dict[str, Any]) -> SpeechResult:
        """Synchronous MiniMax TTS; the 2.8 models wrap the answer in MiniMax's own envelope."""
        data = await self._http.request("POST", f"/v3/{model}", json_body=body)
        if isinstance(data, dict) and isinstance(data.get("data"), dict):
            base = data.get("base_resp") or {}
            if base.get("status_code") not in (None, 0):
                raise MalformedResponseError(f"MiniMax refused the speech request: {base.get('status_msg', '')}")
            data = data["data"]
        return SpeechResult.model_validate(data)

    async def transcribe(self, file: str, prompt: str | None = None) -> str:
        data = await self._http.request("POST", "/v3/glm-asr", json_body={"file": file, "prompt": prompt}
                                        if prompt else {"file": file})
        return str(data.get("text", "")) if isinstance(data, dict) else ""

    async def models(self, *, types: str | None = None, query: str | None = None, is_sdxl: bool | None = None,
                     is_inpainting: bool | None = None, visibility: str | None = None, source: str | None = None,
                     limit: int = 20, cursor: str | None = None) -> ModelPage:
        flag = lambda v: None if v is None else str(v).lower()  # noqa: E731
        params = {"filter.types": types, "filter.query": query, "filter.is_sdxl": flag(is_sdxl),
                  "filter.is_inpainting": flag(is_inpainting), "filter.visibility": visibility,
                  "filter.source": source, "pagination.limit": limit, "pagination.cursor": cursor}
        data = await self._http.request("GET", "/v3/model", params=params)
        pagination = data.get("pagination") or {} if isinstance(data, dict) else {}
        return ModelPage(models=[SDModel.model_validate(m) for m in data.get("models", [])],
                         next_cursor=str(pagination.get("next_cursor") or ""))
