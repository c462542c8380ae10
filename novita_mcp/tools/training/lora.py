"""Toolset ``training``: LoRA training on Novita, off by default.

Novita's pages: model-apis-create-style-training, model-apis-create-subject-training (see
docs/coverage.md). Base models and the subject class are the pages' enums
(``client.training``); a subject training sends the page's example ``components`` (crop to
the face, resize to the training size, restore the face), which the page requires.

Flow: ``upload_training_images`` (free; local files or URLs, checked before any upload) →
``start_training`` (billable, quoted per training step from ``pricing.platform`` - the API returns
no price - and charged once when the task is created) → ``get_training`` (can wait) →
``list_trainings`` for the trained LoRA models. The API has no call to delete a trained model,
so there is no such tool.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from novita_mcp import ids
from novita_mcp.client.media_formats import ImageFormat
from novita_mcp.client.training import (
    FACE_COMPONENTS,
    MAX_DATASET_IMAGES,
    ClassPrompt,
    TrainingBaseModel,
    TrainingTask,
)
from novita_mcp.pricing.platform import (
    TRAINING_DEFAULT_STEPS,
    TRAINING_USD_PER_STEP,
    training_usd,
)
from novita_mcp.toolkit import (
    Context,
    Effect,
    Plan,
    Quote,
    Reply,
    Services,
    services,
    shown,
    tool,
    usd,
)
from novita_mcp.tools._common import MaxWait, iso
from novita_mcp.tools._media_io import load_bytes
from novita_mcp.tools._polling import wait_until

__all__ = ["upload_training_images", "start_training", "get_training", "list_trainings"]

Kind = Annotated[Literal["style", "subject"], Field(description=(
    "style: learn a visual style; subject: learn one person/object, named by instance_prompt."))]
TaskId = ids.TrainingTaskId
MAX_IMAGE_BYTES = 10 * 1024 * 1024
_SIGNATURES: dict[ImageFormat, bytes] = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff", "webp": b"RIFF"}
_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def _kind_of(data: bytes, source: str) -> ImageFormat:
    for ext, magic in _SIGNATURES.items():
        if data.startswith(magic) and (ext != "webp" or data[8:12] == b"WEBP"):
            return ext
    raise ToolError(f"{source} is not a PNG, JPEG or WebP image (the formats training accepts). Nothing was sent.")


async def _read(ctx: Context, source: str) -> bytes:
    # URL and path policies (public URLs only; local files on stdio, or under NOVITA_MCP_FILES_DIR over HTTP).
    return await load_bytes(ctx, source, source[:200], MAX_IMAGE_BYTES)


# --- uploads -----------------------------------------------------------------------------------
class Uploaded(BaseModel):
    assets_ids: list[str] = Field(description="Pass these to start_training, in the same order as the images.")
    message: str


async def plan_upload(app: Services, images: list[str]) -> Plan:
    return Plan(action="Upload training images", target=f"{len(images)} image(s) to Novita",
                quote=Quote(Decimal(0), "uploads are free"))


@tool(title="Upload training images", effects={Effect.BILLABLE}, plan=plan_upload)
async def upload_training_images(
    ctx: Context,
    images: Annotated[list[Annotated[str, Field(max_length=2000)]], Field(
        min_length=1, max_length=50, description="Local file paths or http(s) URLs of PNG/JPEG/WebP images, "
                                                 "each at most 10 MB.")],
) -> Reply[Uploaded]:
    """Upload images for a LoRA training (free). Every image is read and checked before the first upload."""
    app = services(ctx)
    loaded = [(source, await _read(ctx, source)) for source in images]
    kinds = [_kind_of(data, source) for source, data in loaded]
    ids: list[str] = []
    for (_, data), kind in zip(loaded, kinds, strict=True):
        ticket = await app.client.training.request_upload(kind)
        await app.client.training.upload(ticket, data, content_type=_TYPES[kind])
        ids.append(ticket.assets_id)
    message = f"Uploaded {len(ids)} image(s); pass assets_ids to start_training."
    return Reply(Uploaded(assets_ids=ids, message=message), message)


# --- training -----------------------------------------------------------------------------------
def _check(args: dict[str, Any]) -> None:
    captions, assets = args.get("captions"), args.get("assets_ids") or []
    if captions is not None and len(captions) != len(assets):
        raise ToolError(f"captions has {len(captions)} item(s) but assets_ids has {len(assets)}; give one caption "
                        "per image or none. Nothing was sent.")
    if args.get("kind") == "subject" and not (args.get("instance_prompt") or "").strip():
        raise ToolError("A subject training needs instance_prompt (e.g. 'a close photo of ohwx person'). "
                        "Nothing was sent.")
    if args.get("kind") != "subject" and args.get("class_prompt"):
        raise ToolError("class_prompt applies to subject trainings only. Nothing was sent.")


async def plan_train(app: Services, kind: str, name: str, base_model: str, assets_ids: list[str],
                     captions: list[str] | None = None, max_train_steps: int = TRAINING_DEFAULT_STEPS,
                     instance_prompt: str | None = None, class_prompt: str | None = None) -> Plan:
    _check({"kind": kind, "captions": captions, "assets_ids": assets_ids, "instance_prompt": instance_prompt,
            "class_prompt": class_prompt})
    steps = max_train_steps or TRAINING_DEFAULT_STEPS
    return Plan(
        action=f"Start a {kind} LoRA training",
        target=f"training {shown(name)} on {shown(base_model)} with {len(assets_ids)} image(s)",
        quote=Quote(training_usd(steps), f"{steps} steps x {usd(TRAINING_USD_PER_STEP)}/step (estimate), charged "
                                         "once when the task starts"),
        check=f"list_trainings(kind='{kind}') for a training named {shown(name)}",
    )


def _face_components(width: int, height: int) -> list[dict[str, Any]]:
    """The subject page's example components, resizing to this training's size."""
    sized = {"width": str(width), "height": str(height)}
    return [{"name": c["name"], "args": [{"name": a["name"], "value": sized.get(a["name"], a["value"])}
                                          if c["name"] == "resize" else dict(a) for a in c["args"]]}
            for c in FACE_COMPONENTS]


class TrainingView(BaseModel):
    task_id: str
    kind: str
    name: str = ""
    status: str = Field(description="QUEUING | TRAINING | SUCCESS | FAILED | CANCELED | UNKNOWN")
    progress_percent: int
    eta_seconds: int
    models: list[dict[str, str]] = Field(description="Trained LoRA models: model_name and model_status "
                                                     "(DEPLOYING, then SERVING = usable in generation).")
    created: str = ""
    message: str = ""


def _view(task: TrainingTask, kind: str, message: str = "") -> TrainingView:
    return TrainingView(task_id=task.task_id, kind=task.task_type or kind, name=task.task_name, status=task.task_status,
                        progress_percent=task.progress, eta_seconds=task.eta,
                        models=[{"model_name": m.model_name, "model_status": m.model_status} for m in task.models],
                        created=iso(task.created_at) if task.created_at else "", message=message)


class Started(BaseModel):
    task_id: str
    kind: str
    charged_usd: Decimal
    message: str


@tool(title="Start a LoRA training", effects={Effect.BILLABLE}, plan=plan_train)
async def start_training(
    ctx: Context,
    kind: Kind,
    name: Annotated[str, Field(description="Name of the training and its model.", min_length=1, max_length=100,
                               pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")],
    base_model: Annotated[TrainingBaseModel, Field(description=(
        "Base checkpoint to train on (Novita's list); v1-5-pruned-emaonly generalises well.")),
    ],
    assets_ids: Annotated[list[ids.AssetId], Field(
        min_length=1, max_length=MAX_DATASET_IMAGES, description="Image ids from upload_training_images.")],
    captions: Annotated[list[Annotated[str, Field(min_length=1, max_length=1024)]] | None, Field(
        max_length=MAX_DATASET_IMAGES, description="Optional caption per image, same order as assets_ids.")] = None,
    width: Annotated[int, Field(ge=1, description="Training image width in pixels.")] = 512,
    height: Annotated[int, Field(ge=1, description="Training image height in pixels.")] = 512,
    max_train_steps: Annotated[int, Field(ge=1, description="Training steps; the price is per step.")]
    = TRAINING_DEFAULT_STEPS,
    instance_prompt: Annotated[str | None, Field(description="Subject trainings: a prompt naming the subject with a "
                                                             "rare token, e.g. 'a close photo of ohwx person'.",
                                                 max_length=1024)] = None,
    class_prompt: Annotated[ClassPrompt | None, Field(description=(
        "Subject trainings: the subject's class; Novita accepts only 'person'."))] = None,
) -> Reply[Started]:
    """Start a LoRA training (style or subject) on uploaded images. Costs a per-step price, shown first."""
    expert: dict[str, Any] = {"max_train_steps": max_train_steps}
    if instance_prompt:
        expert["instance_prompt"] = instance_prompt
    if class_prompt:
        expert["class_prompt"] = class_prompt
    items = [{"assets_id": a, **({"caption": captions[i]} if captions else {})} for i, a in enumerate(assets_ids)]
    request: dict[str, Any] = {"name": name, "base_model": base_model, "width": width, "height": height,
                               "image_dataset_items": items, "expert_setting": expert}
    if kind == "subject":
        request["components"] = _face_components(width, height)
    task_id = await services(ctx).client.training.create(kind, request)
    cost = training_usd(max_train_steps)
    message = f"Started {kind} training {name} ({task_id}) for {usd(cost)}. Follow it with get_training."
    return Reply(Started(task_id=task_id, kind=kind, charged_usd=cost, message=message), message,
                 charged_usd=cost, resource_id=task_id)


@tool(title="Get a LoRA training", effects={Effect.READ})
async def get_training(ctx: Context, kind: Kind, task_id: TaskId, max_wait_seconds: MaxWait = 0) -> Reply[TrainingView]:
    """Status, progress and trained model of a LoRA training; can wait (bounded) for it to finish."""
    client = services(ctx).client
    task, finished = await wait_until(
        ctx, fetch=lambda: client.training.get(kind, task_id),
        done=lambda t: t.task_status in ("SUCCESS", "FAILED", "CANCELED"),
        describe=lambda t: f"{t.task_status} {t.progress}%", max_wait=max_wait_seconds)
    message = (f"Training {task_id}: {task.task_status}." if finished else
               f"Training {task_id} is still {task.task_status} ({task.progress}%, about {task.eta} s left) - call "
               "get_training again.")
    return Reply(_view(task, kind, message), message)


class TrainingList(BaseModel):
    trainings: list[TrainingView]
    next_cursor: str = Field(description="Pass as cursor for the next page; empty when there is none.")


@tool(title="List LoRA trainings and models", effects={Effect.READ})
async def list_trainings(
    ctx: Context,
    kind: Annotated[Literal["style", "subject"] | None, Field(description="Filter by training kind.")] = None,
    limit: Annotated[int, Field(ge=1, le=50, description="Most trainings to return.")] = 20,
    cursor: Annotated[str | None, Field(description="From a previous page's next_cursor.", max_length=100)] = None,
) -> Reply[TrainingList]:
    """LoRA trainings, newest first, with their status and trained model names."""
    tasks, nxt = await services(ctx).client.training.list(limit=limit, cursor=cursor, kind=kind)
    views = [_view(t, t.task_type) for t in tasks]
    lines = [f"- {v.name} ({v.task_id}, {v.kind}): {v.status}"
             + (f", model {v.models[0]['model_name']} {v.models[0]['model_status']}" if v.models else "")
             for v in views]
    return Reply(TrainingList(trainings=views, next_cursor=nxt), "\n".join([f"{len(views)} training(s).", *lines]))
