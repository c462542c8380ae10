"""LoRA training: dataset uploads, style/subject tasks, trained models.

Novita's pages: model-apis-get-training-images-url, model-apis-create-style-training and
model-apis-create-subject-training (https://novita.ai/docs/api-reference/...; the local
copies and what each endpoint maps to are listed in docs/coverage.md). The enums below are
the pages' own; the sandbox validates with them and the tools offer them.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import Field

from novita_mcp.client._http import HTTPCore
from novita_mcp.client._models import APIModel, LooseInt, LooseStr
from novita_mcp.client.media_formats import ImageFormat
from novita_mcp.ids import TRAINING_TASK, check_id

__all__ = ["TrainingAPI", "UploadTicket", "TrainingTask", "TrainedModel", "TrainingKind", "ImageExtension",
           "BASE_MODELS", "TrainingBaseModel", "CLASS_PROMPTS", "ClassPrompt", "COMPONENT_NAMES", "LEARNING_RATES",
           "LR_SCHEDULERS", "MAX_DATASET_IMAGES", "FACE_COMPONENTS"]

TrainingKind = Literal["style", "subject"]
ImageExtension = ImageFormat

# The documented enum of ``base_model`` (both training pages list the same 17 names).
TrainingBaseModel = Literal[
    "stable-diffusion-xl-base-1.0", "dreamshaperXL09Alpha_alpha2Xl10_91562",
    "protovisionXLHighFidelity3D_release0630Bakedvae_154359", "v1-5-pruned-emaonly", "epicrealism_naturalSin_121250",
    "chilloutmix_NiPrunedFp32Fix", "abyssorangemix3AOM3_aom3a3_10864", "dreamshaper_8_93211", "WFChild_v1.0",
    "majichenmixrealistic_v10", "realisticVisionV51_v51VAE_94301", "sdxlUnstableDiffusers_v11_216694",
    "realisticVisionV40_v40VAE_81510", "epicrealismXL_v10_247189", "somboy_v10_172675", "yesmixXL_v10_283329",
    "animagineXLV31_v31_325600",
]
BASE_MODELS: tuple[str, ...] = get_args(TrainingBaseModel)
# ``expert_setting.class_prompt`` of a subject training: the page's enum has one value.
ClassPrompt = Literal["person"]
CLASS_PROMPTS: tuple[str, ...] = get_args(ClassPrompt)
COMPONENT_NAMES = ("face_crop_region", "resize", "face_restore")
LEARNING_RATES = ("1e-4", "1e-5", "1e-6", "2e-4", "5e-5")
LR_SCHEDULERS = ("constant", "linear", "cosine", "cosine_with_restarts", "polynomial", "constant_with_warmup")
MAX_DATASET_IMAGES = 50  # "Each task supports uploading up to 50 images."
# The subject page's example components: crop to the face, resize, restore the face.
FACE_COMPONENTS: tuple[dict[str, Any], ...] = (
    {"name": "face_crop_region", "args": [{"name": "ratio", "value": "1"}]},
    {"name": "resize", "args": [{"name": "width", "value": "512"}, {"name": "height", "value": "512"}]},
    {"name": "face_restore", "args": [{"name": "method", "value": "gfpgan_1.4"}, {"name": "upscale", "value": "1.0"}]},
)


class UploadTicket(APIModel):
    assets_id: LooseStr = ""
    upload_url: LooseStr = ""
    method: LooseStr = "PUT"


class TrainedModel(APIModel):
    model_name: LooseStr = ""
    model_status: LooseStr = Field("", description="DEPLOYING | SERVING")


class TrainingExtra(APIModel):
    """The result's ``extra``: where the docs put the progress and the time left."""

    progress_percent: LooseInt = 0
    eta_relative: LooseInt = 0


class TrainingTask(APIModel):
    task_id: LooseStr = ""
    task_name: LooseStr = ""
    task_type: LooseStr = ""
    task_status: LooseStr = Field("", description="UNKNOWN | QUEUING | TRAINING | SUCCESS | CANCELED | FAILED")
    model_type: LooseStr = ""
    models: list[TrainedModel] = Field(default_factory=list)
    extra: TrainingExtra | None = None
    created_at: LooseInt = 0

    @property
    def progress(self) -> int:
        """Percent done, 0-100 (``extra.progress_percent``)."""
        return self.extra.progress_percent if self.extra else 0

    @property
    def eta(self) -> int:
        """Seconds left (``extra.eta_relative``)."""
        return self.extra.eta_relative if self.extra else 0


class TrainingAPI:
    """``client.training``: upload images, start a style or subject LoRA training, follow it."""

    def __init__(self, http: HTTPCore) -> None:
        self._http = http

    async def request_upload(self, extension: ImageExtension) -> UploadTicket:
        body = await self._http.request("POST", "/v3/assets/training_dataset", json_body={"file_extension": extension})
        return UploadTicket.model_validate(body)

    async def upload(self, ticket: UploadTicket, data: bytes, *, content_type: str) -> None:
        await self._http.put_bytes(ticket.upload_url, data, content_type=content_type)

    async def create(self, kind: TrainingKind, request: dict[str, Any]) -> str:
        body = await self._http.request("POST", f"/v3/training/{kind}", json_body=request)
        return str(body.get("task_id") or "")

    async def get(self, kind: TrainingKind, task_id: str) -> TrainingTask:
        body = await self._http.request("GET", f"/v3/training/{kind}", params={"task_id": check_id(TRAINING_TASK, task_id)})
        return TrainingTask.model_validate({"task_type": kind, **body})

    async def list(self, *, limit: int = 20, cursor: str | None = None,
                   kind: TrainingKind | None = None) -> tuple[list[TrainingTask], str]:
        body = await self._http.request("GET", "/v3/training", params={
            "pagination.limit": limit, "pagination.cursor": cursor, "task_type": kind})
        tasks = [TrainingTask.model_validate(t) for t in body.get("tasks") or []]
        return tasks, str((body.get("pagination") or {}).get("next_cursor") or "")
