"""The one bounded wait, used by every tool that waits (tasks, instances, endpoints, jobs).

A wait never outlives a client's ~60 s tool timeout: it stops when the item is done, when
``max_wait`` seconds have passed on the server's clock (or the wall clock, whichever ran
further), or after ``1 + max_wait // interval`` polls (``POLL_SECONDS`` standing in for a
zero interval) - the last bound keeps a wait finite even when a test clock stands still. It reports progress after every poll and
returns ``finished=False`` so the tool can say "still <status> - call again".

Tests replace the pause through the server's extras: ``poll_sleep`` (an async callable,
e.g. one that advances the sandbox clock by the interval) and/or ``poll_interval``
(seconds between polls; 0 polls back to back).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import anyio
from pydantic import Field

from novita_mcp.toolkit import Context, services

__all__ = ["MaxWait", "POLL_SECONDS", "wait_until", "preview"]

T = TypeVar("T")
POLL_SECONDS = 3.0

MaxWait = Annotated[int, Field(ge=0, le=50, description="0 looks once; if not done by then, call again.")]


async def wait_until(ctx: Context, *, fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool],
                     describe: Callable[[T], str], max_wait: float,
                     percent: Callable[[T], float] | None = None) -> tuple[T, bool]:
    """Poll ``fetch`` until ``done`` or the budget is spent; progress goes to the client.

    Progress is ``percent(item)`` out of 100 when given (a task's own progress), else the
    time waited out of ``max_wait``.
    """
    app = services(ctx)
    interval = float(app.extras.get("poll_interval", POLL_SECONDS))
    custom: Callable[[float], Awaitable[Any]] | None = app.extras.get("poll_sleep")
    clock = app.guard.clock
    start_clock, start_wall = clock(), time.monotonic()
    polls = 1 + int(max_wait // (interval if interval > 0 else POLL_SECONDS))
    item = await fetch()
    for attempt in range(1, polls + 1):
        waited = max(clock() - start_clock, time.monotonic() - start_wall)
        finished = done(item)
        if percent is not None:
            await ctx.report_progress(100.0 if finished else percent(item), 100.0, describe(item))
        else:
            await ctx.report_progress(max_wait if finished else min(waited, max_wait), max_wait or 1, describe(item))
        if finished or attempt == polls or waited + interval > max_wait:
            return item, finished
        if custom is not None:
            await custom(interval)
        else:
            await anyio.sleep(interval)
        item = await fetch()
    return item, done(item)


def preview(value: Any, limit: int = 8000) -> tuple[Any, bool]:
    """``value`` if its JSON fits in ``limit`` characters, else a truncated JSON string (and True)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= limit:
        return value, False
    return text[:limit] + "…", True
