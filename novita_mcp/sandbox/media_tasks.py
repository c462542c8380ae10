"""Async media tasks: QUEUED -> PROCESSING -> SUCCEED | FAILED on the sandbox clock (Novita docs: model-apis-task-result).

A task's status is a function of time: it waits ``queue_s`` seconds, then works for
``run_s`` seconds with ``progress_percent`` and ``eta`` following the clock, then ends.
It ends when ``settle(now)`` sees that its time has come (before every request and on
``advance``): its output files are written then, it is charged then (the balance was
checked when it was accepted; a failed task costs nothing), and a webhook delivery is
recorded. Webhooks are recorded in ``deliveries`` instead of being POSTed: the sandbox
makes no outgoing requests.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from novita_mcp.sandbox.errors import SandboxError
from novita_mcp.sandbox.media_common import Extra
from novita_mcp.sandbox.state import SandboxState

__all__ = ["Task", "TaskStore", "Outputs", "QUEUED", "PROCESSING", "SUCCEED", "FAILED"]

QUEUED, PROCESSING = "TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING"
SUCCEED, FAILED = "TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"

Outputs = dict[str, list[dict[str, Any]]]  # {"images": [...], "videos": [...], "audios": [...]}


@dataclass
class Task:
    id: str
    task_type: str
    submitted: float
    queue_s: float
    run_s: float
    produce: Callable[[], Outputs]
    product: str
    amount_units: Decimal
    quantity: Decimal
    seed: int
    extra: Extra
    fail_reason: str = ""
    status: str = QUEUED
    finished_at: float | None = None
    outputs: Outputs = field(default_factory=dict)

    @property
    def ends_at(self) -> float:
        return self.submitted + self.queue_s + self.run_s

    def progress(self, now: float) -> tuple[str, int, int]:
        """(status, progress_percent, eta seconds) at ``now``."""
        if self.status in (SUCCEED, FAILED):
            return self.status, 100 if self.status == SUCCEED else 0, 0
        eta = max(0, math.ceil(self.ends_at - now))
        started = self.submitted + self.queue_s
        if now < started:
            return QUEUED, 0, eta
        return PROCESSING, min(99, int(100 * (now - started) / self.run_s)), eta


class TaskStore:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.tasks: dict[str, Task] = {}
        self.deliveries: list[dict[str, Any]] = []
        self.routes = [Route("/v3/async/task-result", self.task_result, methods=["GET"])]

    def submit(self, *, task_type: str, queue_s: float, run_s: float, produce: Callable[[], Outputs], product: str,
               amount_units: Decimal, quantity: Decimal, seed: int, extra: Extra, fail_reason: str = "") -> Task:
        self.state.require_balance("media", amount_units)
        task = Task(str(uuid.uuid4()), task_type, self.state.now(), queue_s, run_s, produce, product, amount_units,
                    quantity, seed, extra, fail_reason)
        self.tasks[task.id] = task
        if extra.webhook_url and extra.webhook_test_status:
            mock = self.body(task)
            mock["task"]["status"] = extra.webhook_test_status
            self._deliver(task, mock, test=True)
        return task

    def settle(self, now: float) -> None:
        for task in self.tasks.values():
            if task.status in (QUEUED, PROCESSING) and now >= task.ends_at:
                self._finish(task, task.ends_at)

    def _finish(self, task: Task, at: float) -> None:
        task.finished_at = at
        if task.fail_reason:
            task.status = FAILED
        else:
            task.outputs = task.produce()
            task.status = SUCCEED
            if task.amount_units > 0:
                self.state.charge(None, category="gen_api", product_name=task.product, amount_units=task.amount_units,
                                  at=at, bill_num0=task.quantity, product_id=task.product, owner_id=task.id)
        if task.extra.webhook_url:
            self._deliver(task, self.body(task), test=False)

    def _deliver(self, task: Task, payload: dict[str, Any], *, test: bool) -> None:
        self.deliveries.append({"url": task.extra.webhook_url, "at": self.state.now(), "test_mode": test,
                                "body": {"event_type": "ASYNC_TASK_RESULT", "payload": payload}})

    def body(self, task: Task) -> dict[str, Any]:
        status, percent, eta = task.progress(self.state.now())

        def ms(t: float | None) -> str:
            return str(int(t * 1000)) if t is not None else ""

        started = task.submitted + task.queue_s
        extra: dict[str, Any] = {
            "seed": str(task.seed),
            "enable_nsfw_detection": task.extra.nsfw,
            "debug_info": {"request_info": "", "submit_time_ms": ms(task.submitted),
                           "execute_time_ms": ms(started) if status != QUEUED else "",
                           "complete_time_ms": ms(task.finished_at)},
        }
        return {
            "extra": extra,
            "task": {"task_id": task.id, "task_type": task.task_type, "status": status, "reason": task.fail_reason
                     if status == FAILED else "", "eta": eta, "progress_percent": percent},
            "images": task.outputs.get("images", []),
            "videos": task.outputs.get("videos", []),
            "audios": task.outputs.get("audios", []),
        }

    async def task_result(self, request: Request) -> JSONResponse:
        task_id = request.query_params.get("task_id") or ""
        if not task_id:
            raise SandboxError("media", "INVALID_REQUEST_BODY", "task_id is required")
        task = self.tasks.get(task_id)
        if task is None:
            raise SandboxError("media", "TASK_NOT_FOUND", f"task {task_id} not found")
        return JSONResponse(self.body(task))
