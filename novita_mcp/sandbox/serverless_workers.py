"""Workers and async jobs of one serverless endpoint, driven by the sandbox clock.

Pure bookkeeping, no HTTP: the domain in ``serverless.py`` calls it. The model, chosen to be
deterministic and cheap to reason about (Novita docs: serverless-* pages and the serverless pricing guide):

* a worker is allocated, spends ``WORKER_BOOT_SECONDS`` pulling its image, then runs;
  it is billed per second from allocation until release (start-up included, like GPU
  instances, which bill from ``pulling``);
* ``minNum`` workers are pinned and never released; any extra worker is released once it has
  been idle for ``freeTimeout`` seconds, and that idle time is billed (documented);
* each worker runs up to ``maxConcurrent`` jobs at once; a job takes ``JOB_SECONDS``;
* scaling (``policy``): ``queue`` adds a worker when a new job would wait longer than
  ``value`` seconds, ``concurrency`` adds one when ``value`` jobs are already queued; never
  more than ``maxNum`` workers;
* a job is ``IN_QUEUE`` until its slot starts, ``IN_PROGRESS`` for ``JOB_SECONDS``, then
  ``COMPLETED``; a cancelled one is ``CANCELLED`` and frees its slot if it was the last on it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Worker", "Job", "Pool", "WORKER_BOOT_SECONDS", "JOB_SECONDS"]

WORKER_BOOT_SECONDS = 60.0
JOB_SECONDS = 5.0


@dataclass
class Worker:
    id: str
    allocated_at: float
    ready_at: float
    slots: list[float]  # per concurrent slot: when it is free again
    pinned: bool
    billed_until: float
    released_at: float | None = None

    def free_at(self) -> float:
        return max(self.ready_at, min(self.slots))

    def idle_since(self) -> float:
        return max(self.ready_at, max(self.slots))

    def state(self, now: float) -> str:
        if self.released_at is not None:
            return "released"
        return "pulling" if now < self.ready_at else "running"


@dataclass
class Job:
    id: str
    input: Any
    submitted_at: float
    start_at: float
    end_at: float
    worker_id: str
    slot: int
    cancelled_at: float | None = None
    output: Any = None

    def status(self, now: float) -> str:
        if self.cancelled_at is not None:
            return "CANCELLED"
        if now < self.start_at:
            return "IN_QUEUE"
        if now < self.end_at:
            return "IN_PROGRESS"
        return "COMPLETED"


@dataclass
class Pool:
    """The workers and jobs of one endpoint."""

    min_num: int
    max_num: int
    free_timeout: float
    max_concurrent: int
    policy_type: str
    policy_value: float
    workers: list[Worker] = field(default_factory=list)
    jobs: dict[str, Job] = field(default_factory=dict)

    # --- workers ---------------------------------------------------------------------------
    def live(self) -> list[Worker]:
        return [w for w in self.workers if w.released_at is None]

    def allocate(self, now: float, *, pinned: bool) -> Worker:
        ready = now + WORKER_BOOT_SECONDS
        worker = Worker(id=secrets.token_hex(8), allocated_at=now, ready_at=ready,
                        slots=[ready] * max(1, self.max_concurrent), pinned=pinned, billed_until=now)
        self.workers.append(worker)
        return worker

    def pin_minimum(self, now: float) -> None:
        """Make exactly ``min_num`` live workers pinned, allocating or unpinning as needed."""
        live = self.live()
        pinned = [w for w in live if w.pinned]
        spare = [w for w in live if not w.pinned]
        while len(pinned) < self.min_num:
            if spare:
                worker = spare.pop(0)
                worker.pinned = True
            else:
                worker = self.allocate(now, pinned=True)
            pinned.append(worker)
        for worker in pinned[self.min_num:]:
            worker.pinned = False  # released after freeTimeout of idleness, like any extra worker

    def release_idle(self, now: float) -> None:
        for worker in self.live():
            if not worker.pinned:
                release = worker.idle_since() + self.free_timeout
                if release <= now:
                    worker.released_at = release

    def release_all(self, now: float) -> None:
        for worker in self.live():
            worker.released_at = now

    # --- jobs --------------------------------------------------------------------------------
    def queued(self, now: float) -> int:
        return sum(1 for j in self.jobs.values() if j.status(now) == "IN_QUEUE")

    def _should_scale(self, now: float, best: Worker | None) -> bool:
        if len(self.live()) >= self.max_num:
            return False
        if best is None:
            return True
        if self.policy_type == "concurrency":
            return self.queued(now) >= self.policy_value
        return best.free_at() - now > self.policy_value

    def submit(self, now: float, payload: Any) -> Job:
        live = self.live()
        best = min(live, key=lambda w: w.free_at()) if live else None
        if self._should_scale(now, best):
            fresh = self.allocate(now, pinned=False)
            if best is None or fresh.free_at() < best.free_at():
                best = fresh
        if best is None:  # maxNum is 0: the job waits forever, as a real queue would
            job = Job(id=_job_id(), input=payload, submitted_at=now, start_at=float("inf"), end_at=float("inf"),
                      worker_id="", slot=-1)
        else:
            slot = min(range(len(best.slots)), key=lambda i: best.slots[i])
            start = max(now, best.ready_at, best.slots[slot])
            job = Job(id=_job_id(), input=payload, submitted_at=now, start_at=start, end_at=start + JOB_SECONDS,
                      worker_id=best.id, slot=slot)
            best.slots[slot] = job.end_at
        job.output = {"echo": payload, "worker_id": job.worker_id}
        self.jobs[job.id] = job
        return job

    def cancel(self, job: Job, now: float) -> None:
        if job.status(now) in ("COMPLETED", "CANCELLED"):
            return
        job.cancelled_at = now
        worker = next((w for w in self.workers if w.id == job.worker_id), None)
        if worker is not None and worker.slots[job.slot] == job.end_at:
            worker.slots[job.slot] = max(now, worker.ready_at)


def _job_id() -> str:
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
