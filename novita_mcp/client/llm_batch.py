"""LLM files and batches (REFERENCE.md §4.6): ``client.llm.batch``.

Batch statuses are upper-case (``VALIDATING``, ``PROGRESS``, ``COMPLETED``, ``FAILED``,
``EXPIRED``, ``CANCELLING``, ``CANCELLED``), unlike OpenAI's. ``GET /files`` answers with a
``{code, message, data}`` envelope; both it and a bare ``{data}`` are accepted.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from novita_mcp.client._http import HTTPCore
from novita_mcp.client._models import APIModel, LooseInt, LooseStr
from novita_mcp.ids import BATCH, FILE, check_id, segment

__all__ = ["LLMBatchAPI", "LLMFile", "Batch", "BatchPage", "BatchCounts", "BatchEndpoint", "TERMINAL_STATUSES"]

_BASE = "/openai/v1"
BatchEndpoint = Literal["/v1/chat/completions", "/v1/completions"]
TERMINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "EXPIRED", "CANCELLED"})


class LLMFile(APIModel):
    id: str
    bytes: LooseInt = 0
    created_at: LooseInt = 0
    filename: LooseStr = ""
    purpose: LooseStr = ""
    expires_at: LooseInt = 0
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def total_requests(self) -> int:
        try:
            return int(self.metadata.get("total_requests") or 0)
        except (TypeError, ValueError):
            return 0


class BatchCounts(APIModel):
    total: LooseInt = 0
    completed: LooseInt = 0
    failed: LooseInt = 0


class Batch(APIModel):
    id: str
    status: LooseStr = ""
    endpoint: LooseStr = ""
    input_file_id: LooseStr = ""
    output_file_id: LooseStr = ""
    error_file_id: LooseStr = ""
    completion_window: LooseStr = ""
    created_at: LooseStr = ""
    in_progress_at: LooseStr = ""
    expires_at: LooseStr = ""
    completed_at: LooseStr = ""
    failed_at: LooseStr = ""
    expired_at: LooseStr = ""
    cancelling_at: LooseStr = ""
    cancelled_at: LooseStr = ""
    errors: Any = None
    request_counts: BatchCounts = Field(default_factory=BatchCounts)
    metadata: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.status.upper() in TERMINAL_STATUSES


class BatchPage(APIModel):
    data: list[Batch] = Field(default_factory=list)
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False


class LLMBatchAPI:
    def __init__(self, http: HTTPCore) -> None:
        self._http = http

    async def upload_file(self, filename: str, content: bytes) -> LLMFile:
        """Upload a JSONL batch input (``purpose=batch``) as a multipart form."""
        raw = await self._http.request("POST", f"{_BASE}/files", files={"file": (filename, content,
                                                                                 "application/jsonl")},
                                       data={"purpose": "batch"})
        return LLMFile.model_validate(raw)

    async def files(self) -> list[LLMFile]:
        body = await self._http.request("GET", f"{_BASE}/files")
        return [LLMFile.model_validate(f) for f in body.get("data") or []]

    async def file(self, file_id: str) -> LLMFile:
        return LLMFile.model_validate(await self._http.request("GET", f"{_BASE}/files/{segment(FILE, file_id)}"))

    async def delete_file(self, file_id: str) -> None:
        await self._http.request("DELETE", f"{_BASE}/files/{segment(FILE, file_id)}")

    async def file_content(self, file_id: str, *, max_bytes: int) -> bytes:
        content, _ = await self._http.get_bytes(f"{_BASE}/files/{segment(FILE, file_id)}/content", max_bytes=max_bytes)
        return content

    async def create(self, input_file_id: str, endpoint: BatchEndpoint = "/v1/chat/completions",
                     *, metadata: dict[str, str] | None = None) -> Batch:
        body: dict[str, Any] = {"input_file_id": check_id(FILE, input_file_id), "endpoint": endpoint, "completion_window": "48h"}
        if metadata:
            body["metadata"] = metadata
        return Batch.model_validate(await self._http.request("POST", f"{_BASE}/batches", json_body=body))

    async def get(self, batch_id: str) -> Batch:
        return Batch.model_validate(await self._http.request("GET", f"{_BASE}/batches/{segment(BATCH, batch_id)}"))

    async def list(self, *, limit: int = 20, after: str | None = None) -> BatchPage:
        body = await self._http.request("GET", f"{_BASE}/batches", params={"limit": limit, "after": after})
        return BatchPage.model_validate(body)

    async def cancel(self, batch_id: str) -> Batch:
        return Batch.model_validate(await self._http.request("POST", f"{_BASE}/batches/{segment(BATCH, batch_id)}/cancel"))
