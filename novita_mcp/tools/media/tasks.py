"""Tools for following async media tasks (get_task, wait_for_task) and the shared result shape."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, ValidationError

from novita_mcp import ids
from novita_mcp.client.errors import NovitaError
from novita_mcp.client.media import TaskResult
from novita_mcp.toolkit import Context, Effect, Reply, Services, services, tool, usd
from novita_mcp.tools._common import MaxWait
from novita_mcp.tools._media_io import (
    MediaFile,
    deliver_urls,
    ttl_of,
    wait_for,
)

__all__ = ["Generation", "task_reply", "follow_submitted", "get_task", "wait_for_task", "TaskId", "Preview"]

TaskId = ids.MediaTaskId
Preview = Annotated[bool, Field(description="Inline preview of the first image.")]


class Generation(BaseModel):
    status: Literal["succeeded", "running"] = Field(description="'running': call wait_for_task with task_id.")
    model: str
    task_id: str | None = Field(None, description="For get_task / wait_for_task (async models only).")
    progress_percent: int | None = None
    eta_seconds: int | None = None
    files: list[MediaFile] = Field(default_factory=list)
    text: str | None = Field(None, description="Transcript (transcribe_audio).")
    quote_usd: Decimal | None = Field(None, description="What the server quoted before the call.")
    charged_usd: Decimal | None = Field(None, description="What the call cost, once known (failed tasks cost nothing).")
    next_step: str | None = None


def running_text(task_id: str, percent: int, eta: int | None) -> str:
    left = f", about {eta} s left" if eta else ""
    return (f"Still running — call wait_for_task with task_id {task_id} again ({percent}% done{left}). "
            "Nothing more is charged for waiting.")


async def task_reply(app: Services, result: TaskResult, *, model: str, quote: Decimal | None,
                     preview: bool = True) -> Reply[Generation]:
    """The reply for a task seen at some point: done (with files), still running, or failed (an error)."""
    task = result.task
    if task.status == "TASK_STATUS_FAILED":
        reason = task.reason or "no reason given"
        raise ToolError(f"Task {task.task_id} ({model}) failed (TASK_STATUS_FAILED): {reason}. "
                        "Nothing was charged for it; change the prompt or settings and try again.")
    if not result.succeeded:
        percent, eta = int(task.progress_percent or 0), int(task.eta or 0)
        data = Generation(status="running", model=model, task_id=task.task_id, progress_percent=percent,
                          eta_seconds=eta, quote_usd=quote,
                          next_step=f"Call wait_for_task with task_id {task.task_id}.")
        return Reply(data, running_text(task.task_id, percent, eta), resource_id=task.task_id)
    items = ([("image", i.image_url, i.image_type, ttl_of(i.image_url_ttl)) for i in result.images]
             + [("video", v.video_url, v.video_type, ttl_of(v.video_url_ttl)) for v in result.videos]
             + [("audio", a.audio_url, a.audio_type, ttl_of(a.audio_url_ttl)) for a in result.audios])
    delivery = await deliver_urls(app, items, stem=f"{model}-{task.task_id[:8]}", preview=preview)
    data = Generation(status="succeeded", model=model, task_id=task.task_id, progress_percent=100, eta_seconds=0,
                      files=delivery.files, quote_usd=quote, charged_usd=quote)
    return Reply(data, done_text(model, delivery.files, quote), charged_usd=quote, resource_id=task.task_id,
                 extra=delivery.blocks)


def continue_call(task_id: str) -> str:
    """The exact call that picks a task up again."""
    return f'wait_for_task {{"task_id": "{task_id}"}}'


async def follow_submitted(ctx: Context, app: Services, task_id: str, max_wait: float, *, model: str,
                           quote: Decimal | None, preview: bool = True) -> Reply[Generation]:
    """Wait for a task just submitted; if looking at it fails, still hand back its id.

    The submission was accepted, so the task runs and is charged whatever happens to the
    status check afterwards (a dropped connection, a malformed answer): the agent gets the
    task id and the exact call to continue, never an error that loses them.
    """
    try:
        result = await wait_for(ctx, app, task_id, max_wait, app.client.media.task_result)
    except (NovitaError, ValidationError) as exc:
        why = exc.message if isinstance(exc, NovitaError) else "Novita's answer could not be read"
        step = f"Call {continue_call(task_id)} to follow it and get its files."
        data = Generation(status="running", model=model, task_id=task_id, quote_usd=quote, next_step=step)
        cost = f", quoted {usd(quote)}" if quote is not None else ""
        text = (f"Task {task_id} ({model}{cost}) was submitted and accepted, so it runs and is charged, but "
                f"checking on it failed ({why}). {step}")
        return Reply(data, text, charged_usd=quote, resource_id=task_id)
    return await task_reply(app, result, model=model, quote=quote, preview=preview)


def done_text(model: str, files: list[MediaFile], charged: Decimal | None) -> str:
    cost = f" for {usd(charged)}" if charged is not None else ""
    lines = [f"{model}: {len(files)} file(s) ready{cost}."]
    for f in files[:8]:
        where = f" (saved to {f.local_path})" if f.local_path else ""
        until = f", link valid until {f.expires_at}" if f.expires_at else ""
        lines.append(f"- {f.kind}: {f.url}{where}{until}")
    return "\n".join(lines)


@tool(title="Get media task", effects={Effect.READ})
async def get_task(ctx: Context, task_id: TaskId) -> Reply[Generation]:
    """An image/video/audio task now: progress, or its files when done (no waiting)."""
    app = services(ctx)
    result = await app.client.media.task_result(task_id)
    return await task_reply(app, result, model=result.task.task_type.lower() or "task", quote=None)


@tool(title="Wait for media task", effects={Effect.READ})
async def wait_for_task(ctx: Context, task_id: TaskId, max_wait_seconds: MaxWait = 40,
                        preview: Preview = True) -> Reply[Generation]:
    """Wait for an image/video/audio task and return its files; if still running, call again."""
    app = services(ctx)
    result = await wait_for(ctx, app, task_id, max_wait_seconds, app.client.media.task_result)
    return await task_reply(app, result, model=result.task.task_type.lower() or "task", quote=None, preview=preview)
