"""LoRA training (REFERENCE.md §5.20): dataset uploads, style/subject tasks, trained models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from novita_mcp.ids import TRAINING_TASK, check_id
from novita_mcp.client._http import HTTPCore
from novita_mcp.client._models import APIModel, LooseInt, LooseStr
from novita_mcp.client.media_formats import ImageFormat

__all__ = ["TrainingAPI", "UploadTicket", "TrainingTask", "TrainedModel", "TrainingKind", "ImageExtension"]

TrainingKind = Literal["style", "subject"]
ImageExtension = ImageFormat


class UploadTicket(APIModel):
    assets_id: LooseStr = ""
    upload_url: LooseStr = ""
    method: LooseStr = "PUT"


class TrainedModel(APIModel):
    model_name: LooseStr = ""
    model_status: LooseStr = Field("", description="DEPLOYING | SERVING")


class TrainingTask(APIModel):
    task_id: LooseStr = ""
    task_name: LooseStr = ""
    task_type: LooseStr = ""
    task_status: LooseStr = Field("", description="UNKNOWN | QUEUING | TRAINING | SUCCESS | CANCELED | FAILED")
    model_type: LooseStr = ""
    models: list[TrainedModel] = Field(default_factory=list)
    eta: LooseInt = 0
    progress: LooseInt = 0
    created_at: LooseInt = 0


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
