"""LoRA training (Novita docs: model-apis-get-training-images-url, model-apis-create-style-training,
model-apis-create-subject-training): dataset uploads, style/subject tasks, trained models.

* ``POST /v3/assets/training_dataset`` ``{file_extension: png|webp|jpeg}`` →
  ``{assets_id, upload_url, method: "PUT", headers: {Host: {values: [...]}}}``. The upload URL is
  served by the sandbox itself at ``PUT /files/training/{assets_id}`` (under ``/files/``, so,
  like a pre-signed URL, it needs no key); the bytes must be an image of the declared type.
* ``POST /v3/training/style`` and ``/v3/training/subject`` → ``{task_id}``; charged at once
  (``pricing.platform.training_usd``: per step, category "gen_api").
* ``GET /v3/training/{style|subject}?task_id=`` → ``{task_id, task_status, model_type: "lora",
  models: [{model_name, model_status}], extra: {progress_percent, eta_relative}}``.
* ``GET /v3/training?pagination.limit=&pagination.cursor=&task_type=`` →
  ``{tasks: [...], pagination: {next_cursor}}`` (cursor ``c_<offset>``, empty at the end).

Timeline on the clock: ``QUEUING`` for ``QUEUE_SECONDS``, ``TRAINING`` for
``SECONDS_PER_STEP`` × steps (``extra.progress_percent`` and ``extra.eta_relative`` move), then
``SUCCESS``; the model is ``DEPLOYING`` for ``DEPLOY_SECONDS`` and then ``SERVING``.

What is checked is what the pages state (ranges, enums, ``components`` for a subject
training, at most 50 images); a ``null`` is an unset field, as the official SDK sends them.
Two rules are inferred, not documented: a subject training needs
``expert_setting.instance_prompt`` (it names the subject), and ``max_train_steps`` unset
trains ``pricing.platform.TRAINING_DEFAULT_STEPS``. The API has no delete.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from novita_mcp.client.training import (
    BASE_MODELS,
    CLASS_PROMPTS,
    COMPONENT_NAMES,
    LEARNING_RATES,
    LR_SCHEDULERS,
    MAX_DATASET_IMAGES,
)
from novita_mcp.pricing.platform import TRAINING_DEFAULT_STEPS, training_usd
from novita_mcp.sandbox.errors import SandboxError, json_object
from novita_mcp.sandbox.media_common import Check
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

    def _assets(self, kind: str, items: list[Any]) -> None:
        for i, item in enumerate(items):
            entry = Check(item, f"image_dataset_items[{i}].")
            asset = self.assets.get(str(entry.body.get("assets_id") or ""))
            if asset is None or asset.data is None:
                raise _bad("every image_dataset_items[].assets_id must name an uploaded image")
            entry.str("caption", min_len=1, max_len=1024)

    @staticmethod
    def _expert(kind: str, raw: Any) -> int:
        """Check ``expert_setting`` against the pages; returns the step count to train."""
        expert = Check({} if raw is None else raw, "expert_setting.")
        expert.int("batch_size", lo=1, hi=4)
        expert.str("learning_rate", choices=LEARNING_RATES)
        steps = expert.int("max_train_steps", lo=1, default=TRAINING_DEFAULT_STEPS)
        expert.int("seed", lo=1)
        expert.str("lr_scheduler", choices=LR_SCHEDULERS)
        expert.int("lr_warmup_steps", lo=0)
        expert.bool("with_prior_preservation")
        expert.num("prior_loss_weight")
        expert.bool("train_text_encoder")
        for name in ("lora_r", "lora_alpha", "lora_text_encoder_r", "lora_text_encoder_alpha"):
            expert.int(name, lo=4, hi=128)
        prompt = expert.str("instance_prompt", max_len=1024)
        if kind == "subject":
            if not (prompt or "").strip():
                raise _bad("a subject training needs expert_setting.instance_prompt")  # inferred: it names the subject
            expert.str("class_prompt", choices=CLASS_PROMPTS)
        return int(steps)

    async def create(self, request: Request) -> JSONResponse:
        kind = self._kind(request)
        body = Check(await _json(request))
        name = body.str("name", required=True, min_len=1)
        base_model = body.str("base_model", required=True, choices=BASE_MODELS)
        body.int("width", required=True, lo=1)
        body.int("height", required=True, lo=1)
        self._assets(kind, body.list("image_dataset_items", required=True, lo=1, hi=MAX_DATASET_IMAGES))
        steps = self._expert(kind, body.body.get("expert_setting"))
        components = body.list("components", required=kind == "subject", lo=1 if kind == "subject" else 0)
        for i, component in enumerate(components):
            item = Check(component, f"components[{i}].")
            item.str("name", required=True, choices=COMPONENT_NAMES)
            for j, arg in enumerate(item.list("args")):
                pair = Check(arg, f"components[{i}].args[{j}].")
                pair.str("name", required=True, min_len=1)
                pair.str("value", required=True)
        task = Task(id=secrets.token_hex(16), kind=kind, name=name, base_model=base_model, steps=steps,
                    created_at=self.state.now(), request=body.body)
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
                "extra": {"progress_percent": progress, "eta_relative": int(max(0.0, done - now))}}

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
