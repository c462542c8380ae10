"""Bounded waits for the platform toolsets (endpoints, jobs, trainings).

A wait never outlives a client's ~60 s tool timeout: it polls at most ``1 + max_wait //
POLL_SECONDS`` times, reports progress after each poll, and returns with ``finished=False`` so
the tool can say "still <status> - call again". Tests swap the sleep through the server's
extras: ``poll_sleep`` (an async callable, e.g. one that advances the sandbox clock) or
``poll_interval`` (seconds; 0 polls back to back).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import anyio
from pydantic import Field

from novita_mcp.toolkit import Context, services

__all__ = ["MaxWait", "POLL_SECONDS", "wait_until", "preview"]

T = TypeVar("T")
POLL_SECONDS = 3.0

MaxWait = Annotated[int, Field(ge=0, le=50, description=(
    "Longest time to wait in seconds (0 = just look once). If it is not done by then, the result says so; "
    "call again to keep waiting."))]


async def wait_until(ctx: Context, *, fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool],
                     describe: Callable[[T], str], max_wait: int) -> tuple[T, bool]:
    """Poll ``fetch`` until ``done`` or the budget is spent; progress goes to the client."""
    extras = services(ctx).extras
    custom: Callable[[float], Awaitable[Any]] | None = extras.get("poll_sleep")

    async def pause() -> None:
        if custom is not None:
            await custom(POLL_SECONDS)
        else:
            await anyio.sleep(float(extras.get("poll_interval", POLL_SECONDS)))

    polls = 1 + int(max_wait // POLL_SECONDS)
    item = await fetch()
    for attempt in range(1, polls + 1):
        if done(item):
            await ctx.report_progress(polls, polls, describe(item))
            return item, True
        await ctx.report_progress(attempt, polls, describe(item))
        if attempt == polls:
            break
        await pause()
        item = await fetch()
    return item, done(item)


def preview(value: Any, limit: int = 8000) -> tuple[Any, bool]:
    """``value`` if its JSON fits in ``limit`` characters, else a truncated JSON string (and True)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= limit:
        return value, False
    return text[:limit] + "…", True
