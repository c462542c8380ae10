"""LoRA training (REFERENCE.md §5.20): dataset uploads, style/subject tasks, trained models.

* ``POST /v3/assets/training_dataset`` ``{file_extension: png|webp|jpeg}`` →
  ``{assets_id, upload_url, method: "PUT", headers: {Host: {values: [...]}}}``. The upload URL is
  served by the sandbox itself at ``PUT /files/training/{assets_id}`` (under ``/files/``, so,
  like a pre-signed URL, it needs no key); the bytes must be an image of the declared type.
* ``POST /v3/training/style`` and ``/v3/training/subject`` → ``{task_id}``; charged at once
  (``pricing.platform.training_usd``: per step, category "gen_api").
* ``GET /v3/training/{style|subject}?task_id=`` → ``{task_id, task_status, model_type: "lora",
  models: [{model_name, model_status}], extra, eta, progress}``.
* ``GET /v3/training?pagination.limit=&pagination.cursor=&task_type=`` →
  ``{tasks: [...], pagination: {next_cursor}}`` (cursor ``c_<offset>``, empty at the end).

Timeline on the clock: ``QUEUING`` for ``QUEUE_SECONDS``, ``TRAINING`` for
``SECONDS_PER_STEP`` × steps (``progress`` and ``eta`` move), then ``SUCCESS``; the model is
``DEPLOYING`` for ``DEPLOY_SECONDS`` and then ``SERVING``. A subject training needs
``expert_setting.instance_prompt`` (the token that names the subject); ``width``/``height``
are 256-1024 and ``max_train_steps`` 100-4000 (inferred ranges). The API has no delete.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from novita_mcp.pricing.platform import TRAINING_DEFAULT_STEPS, training_usd
from novita_mcp.sandbox.errors import SandboxError, json_object
from novita_mcp.sandbox.state import UNITS_PER_USD, SandboxState

__all__ = ["TrainingDomain", "QUEUE_SECONDS", "SECONDS_PER_STEP", "DEPLOY_SECONDS"]

QUEUE_SECONDS = 60.0
SECONDS_PER_STEP = 0.6
DEPLOY_SECONDS = 120.0
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_MAGIC = {"png": (b"\x89PNG\r\n\x1a\n",), "jpeg": (b"\xff\xd8\xff",), "webp": (b"RIFF",)}


def _bad(message: str) -> SandboxError:
    return SandboxError("media", "INVALID_REQUEST_BODY", message)


@dataclass
class Asset:
    id: str
    extension: str
    data: bytes | None = None


@dataclass
class Task:
    id: str
    kind: str  # style | subject
    name: str
    base_model: str
    steps: int
    created_at: float
    request: dict[str, Any] = field(default_factory=dict)

    def times(self) -> tuple[float, float, float]:
        start = self.created_at + QUEUE_SECONDS
        done = start + self.steps * SECONDS_PER_STEP
        return start, done, done + DEPLOY_SECONDS

    def status(self, now: float) -> str:
        start, done, _ = self.times()
        return "QUEUING" if now < start else "TRAINING" if now < done else "SUCCESS"

    @property
    def model_name(self) -> str:
        return f"{self.name}-{self.id[:8]}.safetensors"

    def models(self, now: float) -> list[dict[str, str]]:
        if self.status(now) != "SUCCESS":
            return []
        return [{"model_name": self.model_name, "model_status": "SERVING" if now >= self.times()[2] else "DEPLOYING"}]


class TrainingDomain:
    name = "training"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.assets: dict[str, Asset] = {}
        self.tasks: dict[str, Task] = {}
        self.routes = [
            Route("/v3/assets/training_dataset", self.upload_url, methods=["POST"]),
            Route("/files/training/{assets_id}", self.put_file, methods=["PUT"]),
            Route("/v3/training/{kind}", self.create, methods=["POST"]),
            Route("/v3/training/{kind}", self.get, methods=["GET"]),
            Route("/v3/training", self.index, methods=["GET"]),
        ]

    def settle(self, now: float) -> None:
        """Training is charged when created; nothing accrues."""

    # --- uploads -------------------------------------------------------------------------------
    async def upload_url(self, request: Request) -> JSONResponse:
        body = await _json(request)
        ext = body.get("file_extension")
        if ext not in _MAGIC:
            raise _bad("file_extension must be one of png, webp, jpeg")
        asset = Asset(id=secrets.token_hex(16), extension=ext)
        self.assets[asset.id] = asset
        base = str(request.base_url).rstrip("/")
        return JSONResponse({"assets_id": asset.id, "upload_url": f"{base}/files/training/{asset.id}",
                             "method": "PUT", "headers": {"Host": {"values": [request.url.netloc]}}})

    async def put_file(self, request: Request) -> JSONResponse:
        asset = self.assets.get(request.path_params["assets_id"])
        if asset is None:
            raise SandboxError("media", "API_NOT_FOUND", "unknown upload URL", status=404)
        data = await request.body()
        if not data or len(data) > MAX_UPLOAD_BYTES:
            raise _bad(f"an upload must be 1 byte to {MAX_UPLOAD_BYTES} bytes")
        if not data.startswith(_MAGIC[asset.extension]):
            raise SandboxError("media", "INVALID_IMAGE_FORMAT", f"the file is not a {asset.extension} image")
        asset.data = data
        return JSONResponse({})

    # --- tasks ---------------------------------------------------------------------------------
    def _kind(self, request: Request) -> str:
        kind = request.path_params["kind"]
        if kind not in ("style", "subject"):
            raise SandboxError("media", "API_NOT_FOUND", f"no training type {kind!r}", status=404)
        return kind

    async def create(self, request: Request) -> JSONResponse:
        kind = self._kind(request)
        body = await _json(request)
        name, base_model = body.get("name"), body.get("base_model")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise _bad("name is required (1-100 characters)")
        if not isinstance(base_model, str) or not 1 <= len(base_model) <= 255:
            raise _bad("base_model is required")
        for side in ("width", "height"):
            value = body.get(side)
            if not isinstance(value, int) or not 256 <= value <= 1024:
                raise _bad(f"{side} must be an integer 256-1024")
        items = body.get("image_dataset_items")
        if not isinstance(items, list) or not 1 <= len(items) <= 100:
            raise _bad("image_dataset_items must list 1-100 uploaded images")
        for item in items:
            asset = self.assets.get(str((item or {}).get("assets_id") if isinstance(item, dict) else ""))
            if asset is None or asset.data is None:
                raise _bad("every image_dataset_items[].assets_id must name an uploaded image")
        expert = body.get("expert_setting") or {}
        if not isinstance(expert, dict):
            raise _bad("expert_setting must be an object")
        steps = expert.get("max_train_steps", TRAINING_DEFAULT_STEPS)
        if not isinstance(steps, int) or not 100 <= steps <= 4000:
            raise _bad("expert_setting.max_train_steps must be an integer 100-4000")
        if kind == "subject" and not str(expert.get("instance_prompt") or "").strip():
            raise _bad("a subject training needs expert_setting.instance_prompt")
        task = Task(id=secrets.token_hex(16), kind=kind, name=name, base_model=base_model, steps=steps,
                    created_at=self.state.now(), request=body)
        self.state.charge("media", category="gen_api", product_name=f"lora-training-{kind}",
                          amount_units=training_usd(steps) * UNITS_PER_USD, owner_id=task.id,
                          bill_num0=Decimal(steps), product_id=f"training-{kind}")
        self.tasks[task.id] = task
        return JSONResponse({"task_id": task.id})

    def view(self, task: Task) -> dict[str, Any]:
        now = self.state.now()
        start, done, _ = task.times()
        status = task.status(now)
        progress = {"QUEUING": 0, "SUCCESS": 100}.get(status, int((now - start) / (done - start) * 100))
        return {"task_id": task.id, "task_status": status, "model_type": "lora", "models": task.models(now),
                "extra": {"base_model": task.base_model, "max_train_steps": task.steps},
                "eta": int(max(0.0, done - now)), "progress": progress}

    async def get(self, request: Request) -> JSONResponse:
        kind = self._kind(request)
        task = self.tasks.get(request.query_params.get("task_id") or "")
        if task is None or task.kind != kind:
            raise SandboxError("media", "TASK_NOT_FOUND", "training task not found")
        return JSONResponse(self.view(task))

    async def index(self, request: Request) -> JSONResponse:
        q = request.query_params
        try:
            limit = int(q.get("pagination.limit") or 10)
            offset = int((q.get("pagination.cursor") or "c_0").removeprefix("c_"))
        except ValueError:
            raise _bad("pagination.limit must be an integer and pagination.cursor come from a previous page") from None
        if not 1 <= limit <= 100 or offset < 0:
            raise _bad("pagination.limit must be 1-100")
        kind = q.get("task_type") or ""
        now = self.state.now()
        items = [t for t in reversed(self.tasks.values())  # newest first (insertion order)
                 if not kind or t.kind == kind]
        window = items[offset:offset + limit]
        nxt = f"c_{offset + limit}" if offset + limit < len(items) else ""
        return JSONResponse({
            "tasks": [{"task_name": t.name, "task_id": t.id, "task_type": t.kind, "task_status": t.status(now),
                       "created_at": int(t.created_at), "models": t.models(now)} for t in window],
            "pagination": {"next_cursor": nxt},
        })


async def _json(request: Request) -> dict[str, Any]:
    return await json_object(request, "media")
