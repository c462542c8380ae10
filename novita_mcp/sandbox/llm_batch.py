"""Files and batches of the LLM API (Novita docs: model-apis-llm-*-batch, -*-file pages), run on the sandbox clock.

A batch moves ``VALIDATING`` → ``PROGRESS`` → ``COMPLETED`` (or ``FAILED`` when its input is
invalid, ``EXPIRED`` after its 48 h window, ``CANCELLING`` → ``CANCELLED`` when cancelled).
Timings, chosen for the sandbox and kept here: validation takes ``VALIDATE_SECONDS``, then one
request finishes every ``SECONDS_PER_REQUEST``; a cancel settles after ``CANCEL_SECONDS``.
Each request runs through the same chat/completions code as a direct call and is charged
the same way when it finishes (the reference captures no batch discount, so none is applied).

Choices where the reference is silent: timestamps are ISO-8601 UTC strings (the docs say
"string"); ``GET /files`` wraps the list as ``{code: 0, message: "", data}``; a missing file or
batch is 404 ``NOT_FOUND``; cancelling a finished batch is 400 ``INVALID_REQUEST_BODY``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from novita_mcp.sandbox.errors import SandboxError
from novita_mcp.sandbox.llm import LLM_PREFIXES, bad_request, read_json
from novita_mcp.sandbox.state import SandboxState

__all__ = ["LLMBatchDomain", "VALIDATE_SECONDS", "SECONDS_PER_REQUEST", "CANCEL_SECONDS", "WINDOW_SECONDS",
           "MAX_FILE_BYTES"]

VALIDATE_SECONDS = 10
SECONDS_PER_REQUEST = 2
CANCEL_SECONDS = 5
WINDOW_SECONDS = 48 * 3600
OUTPUT_TTL_SECONDS = 30 * 86400
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_LINES = 50_000
ENDPOINTS = {"/v1/chat/completions": "chat", "/v1/completions": "completions"}


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: float
    total_requests: int = 0
    expires_at: float | None = None

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "object": "file", "bytes": len(self.content),
                               "created_at": int(self.created_at), "filename": self.filename,
                               "purpose": self.purpose, "metadata": {"total_requests": self.total_requests}}
        if self.expires_at is not None:
            out["expires_at"] = int(self.expires_at)
        return out


@dataclass
class Batch:
    id: str
    input_file_id: str
    endpoint: str
    completion_window: str
    created_at: float
    lines: list[dict[str, Any]]
    created_by: str
    metadata: dict[str, Any] = field(default_factory=dict)
    status: str = "VALIDATING"
    times: dict[str, float] = field(default_factory=dict)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    output_file_id: str = ""
    error_file_id: str = ""
    errors: str = ""
    version: int = 1

    def json(self) -> dict[str, Any]:
        done, failed = len(self.outputs), len(self.failures)
        stamps = {f"{k}_at": _iso(self.times.get(k)) for k in
                  ("in_progress", "expires", "finalizing", "completed", "failed", "expired", "cancelling",
                   "cancelled")}
        return {"id": self.id, "object": "batch", "endpoint": self.endpoint, "input_file_id": self.input_file_id,
                "output_file_id": self.output_file_id, "error_file_id": self.error_file_id,
                "completion_window": self.completion_window, **stamps, "status": self.status,
                "errors": self.errors, "version": self.version, "created_at": _iso(self.created_at),
                "updated_at": _iso(max([self.created_at, *self.times.values()])), "created_by": self.created_by,
                "created_by_key_id": "sandbox-key", "remark": "", "total": len(self.lines), "completed": done,
                "failed": failed, "metadata": self.metadata,
                "request_counts": {"total": len(self.lines), "completed": done, "failed": failed}}


def _parse_lines(content: bytes) -> list[dict[str, Any]]:
    """The JSONL input: one ``{custom_id, method, url, body}`` object per non-empty line."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("the file must be UTF-8 JSONL") from None
    lines: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            raise bad_request(f"line {n} is not valid JSON") from None
        if not isinstance(line, dict) or not isinstance(line.get("custom_id"), str) or not isinstance(
                line.get("body"), dict) or not isinstance(line.get("url"), str):
            raise bad_request(f"line {n} needs custom_id (string), method, url and body (object)")
        if line["custom_id"] in seen:
            raise bad_request(f"line {n}: custom_id {line['custom_id']!r} is repeated")
        seen.add(line["custom_id"])
        lines.append(line)
    if not lines:
        raise bad_request("the file has no requests")
    if len(lines) > MAX_LINES:
        raise bad_request(f"the file has {len(lines)} requests; at most {MAX_LINES}")
    return lines


class LLMBatchDomain:
    name = "llm_batch"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, Batch] = {}
        self.routes: list[Route] = []
        for p in LLM_PREFIXES:
            self.routes += [
                Route(f"{p}/files", self.upload, methods=["POST"]),
                Route(f"{p}/files", self.list_files, methods=["GET"]),
                Route(f"{p}/files/{{file_id}}", self.get_file, methods=["GET"]),
                Route(f"{p}/files/{{file_id}}", self.delete_file, methods=["DELETE"]),
                Route(f"{p}/files/{{file_id}}/content", self.file_content, methods=["GET"]),
                Route(f"{p}/batches", self.create_batch, methods=["POST"]),
                Route(f"{p}/batches", self.list_batches, methods=["GET"]),
                Route(f"{p}/batches/{{batch_id}}", self.get_batch, methods=["GET"]),
                Route(f"{p}/batches/{{batch_id}}/cancel", self.cancel_batch, methods=["POST"]),
            ]

    # --- the status machine ---------------------------------------------------------------
    def settle(self, now: float) -> None:
        for batch in self.batches.values():
            self._advance(batch, now)

    def _advance(self, b: Batch, now: float) -> None:
        if b.status == "VALIDATING" and now >= b.created_at + VALIDATE_SECONDS:
            start = b.created_at + VALIDATE_SECONDS
            wrong = [line["custom_id"] for line in b.lines if line["url"] != b.endpoint]
            if wrong:
                b.status, b.errors = "FAILED", f"requests {wrong[:5]} do not target {b.endpoint}"
                b.times["failed"] = start
                return
            b.status = "PROGRESS"
            b.times["in_progress"] = start
        if b.status == "PROGRESS":
            due = min(len(b.lines), math.floor((now - b.times["in_progress"]) / SECONDS_PER_REQUEST))
            deadline = b.created_at + WINDOW_SECONDS
            if now >= deadline:
                due = min(due, math.floor((deadline - b.times["in_progress"]) / SECONDS_PER_REQUEST))
            while len(b.outputs) + len(b.failures) < due:
                self._run_line(b, b.lines[len(b.outputs) + len(b.failures)])
            if len(b.outputs) + len(b.failures) == len(b.lines):
                end = b.times["in_progress"] + len(b.lines) * SECONDS_PER_REQUEST
                b.times["finalizing"] = b.times["completed"] = end
                b.status = "COMPLETED"
                self._write_outputs(b, end)
            elif now >= deadline:
                b.status, b.times["expired"] = "EXPIRED", deadline
                self._write_outputs(b, deadline)
        if b.status == "CANCELLING" and now >= b.times["cancelling"] + CANCEL_SECONDS:
            b.status, b.times["cancelled"] = "CANCELLED", b.times["cancelling"] + CANCEL_SECONDS
            self._write_outputs(b, b.times["cancelled"])

    def _run_line(self, b: Batch, line: dict[str, Any]) -> None:
        llm = self.state.domains["llm"]
        request_id = f"batch_req_{self.state.new_id():012x}"
        try:
            if ENDPOINTS[b.endpoint] == "chat":
                body = llm.run_chat({**line["body"], "stream": False}, owner_id=b.id).body()
            else:
                body = llm.run_completion({**line["body"], "stream": False}, owner_id=b.id)
        except SandboxError as exc:
            b.failures.append({"id": request_id, "custom_id": line["custom_id"], "response": None,
                               "error": {"code": exc.reason, "message": exc.message}})
            return
        b.outputs.append({"id": request_id, "custom_id": line["custom_id"],
                          "response": {"status_code": 200, "request_id": request_id, "body": body}, "error": None})

    def _write_outputs(self, b: Batch, at: float) -> None:
        def store(rows: list[dict[str, Any]], kind: str) -> str:
            if not rows:
                return ""
            content = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows).encode()
            f = StoredFile(id=f"file-{self.state.new_id():016x}", filename=f"{b.id}_{kind}.jsonl",
                           purpose="batch_output", content=content, created_at=at, total_requests=len(rows),
                           expires_at=at + OUTPUT_TTL_SECONDS)
            self.files[f.id] = f
            return f.id

        b.output_file_id = store(b.outputs, "output")
        b.error_file_id = store(b.failures, "error")

    # --- files ------------------------------------------------------------------------------
    def _file(self, file_id: str) -> StoredFile:
        f = self.files.get(file_id)
        if f is None:
            raise SandboxError("llm", "NOT_FOUND", f"file {file_id} not found", status=404)
        return f

    async def upload(self, request: Request) -> JSONResponse:
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise bad_request("upload the file as multipart/form-data with fields file and purpose")
        form = await request.form(max_part_size=MAX_FILE_BYTES + 1)
        upload, purpose = form.get("file"), form.get("purpose")
        if not isinstance(upload, UploadFile):
            raise bad_request("the form needs a file field")
        if purpose != "batch":
            raise bad_request(f"purpose must be batch, got {purpose!r}")
        content = await upload.read()
        if len(content) > MAX_FILE_BYTES:
            raise bad_request(f"the file is {len(content)} bytes; at most {MAX_FILE_BYTES}")
        lines = _parse_lines(content)
        f = StoredFile(id=f"file-{self.state.new_id():016x}", filename=upload.filename or "input.jsonl",
                       purpose="batch", content=content, created_at=self.state.now(), total_requests=len(lines))
        self.files[f.id] = f
        return JSONResponse(f.json())

    async def list_files(self, request: Request) -> JSONResponse:
        ordered = sorted(self.files.values(), key=lambda f: f.created_at, reverse=True)
        # The docs give no query for this list, but the openai SDK pages it with ``after=<last id>``
        # until a page comes back empty: honour it, or the SDK asks for the same page forever.
        after = request.query_params.get("after")
        if after:
            ids = [f.id for f in ordered]
            ordered = ordered[ids.index(after) + 1:] if after in ids else []
        return JSONResponse({"code": 0, "message": "", "data": [f.json() for f in ordered]})

    async def get_file(self, request: Request) -> JSONResponse:
        return JSONResponse(self._file(request.path_params["file_id"]).json())

    async def delete_file(self, request: Request) -> JSONResponse:
        f = self._file(request.path_params["file_id"])
        del self.files[f.id]
        return JSONResponse({"deleted": True, "id": f.id, "object": "file"})

    async def file_content(self, request: Request) -> Response:
        return Response(self._file(request.path_params["file_id"]).content, media_type="application/jsonl")

    # --- batches ----------------------------------------------------------------------------
    def _batch(self, batch_id: str) -> Batch:
        b = self.batches.get(batch_id)
        if b is None:
            raise SandboxError("llm", "NOT_FOUND", f"batch {batch_id} not found", status=404)
        return b

    async def create_batch(self, request: Request) -> JSONResponse:
        body = await read_json(request)
        endpoint, window = body.get("endpoint"), body.get("completion_window", "48h")
        if endpoint not in ENDPOINTS:
            raise bad_request(f"endpoint must be one of {sorted(ENDPOINTS)}")
        if window != "48h":
            raise bad_request("completion_window must be 48h")
        file_id = body.get("input_file_id")
        if not isinstance(file_id, str):
            raise bad_request("input_file_id is required")
        f = self._file(file_id)
        if f.purpose != "batch":
            raise bad_request(f"file {file_id} has purpose {f.purpose}, not batch")
        metadata = body.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise bad_request("metadata must be an object")
        if self.state.balance_units + self.state.credit_limit_units <= 0:
            raise SandboxError("llm", "NOT_ENOUGH_BALANCE", "not enough balance")
        now = self.state.now()
        b = Batch(id=f"batch_{self.state.new_id():016x}", input_file_id=f.id, endpoint=endpoint,
                  completion_window=window, created_at=now, lines=_parse_lines(f.content),
                  created_by=self.state.user_id, metadata=metadata)
        b.times["expires"] = now + WINDOW_SECONDS
        self.batches[b.id] = b
        return JSONResponse(b.json())

    async def get_batch(self, request: Request) -> JSONResponse:
        return JSONResponse(self._batch(request.path_params["batch_id"]).json())

    async def list_batches(self, request: Request) -> JSONResponse:
        try:
            limit = int(request.query_params.get("limit") or 20)
        except ValueError:
            raise bad_request("limit must be an integer") from None
        if not 1 <= limit <= 100:
            raise bad_request("limit must be between 1 and 100")
        ordered = sorted(self.batches.values(), key=lambda b: (b.created_at, b.id), reverse=True)
        after = request.query_params.get("after")
        if after:
            ids = [b.id for b in ordered]
            ordered = ordered[ids.index(after) + 1:] if after in ids else []
        chunk = ordered[:limit]
        return JSONResponse({"object": "list", "data": [b.json() for b in chunk],
                             "first_id": chunk[0].id if chunk else None, "last_id": chunk[-1].id if chunk else None,
                             "has_more": len(ordered) > limit})

    async def cancel_batch(self, request: Request) -> JSONResponse:
        b = self._batch(request.path_params["batch_id"])
        if b.status not in ("VALIDATING", "PROGRESS"):
            raise bad_request(f"batch {b.id} is {b.status} and cannot be cancelled")
        b.status, b.times["cancelling"] = "CANCELLING", self.state.now()
        return JSONResponse(b.json())
