"""The house template: argument types and result shapes every toolset uses, defined once.

* ids: ``novita_mcp.ids`` (one annotated type per kind of id, checked before anything is sent);
* pagination: every list tool takes ``limit`` (``Limit``) and ``offset`` (``Offset``) and
  answers a ``Page`` with ``next_offset``; ``page`` slices a list already read, ``paged``
  translates to an API that pages by number. (Two Novita lists page only by an opaque cursor -
  SD models and trainings - and their tools pass ``cursor``/``next_cursor`` through.)
* waits: ``MaxWait`` (0-50 s, below the ~60 s at which clients give up on a call);
* deletions: ``Deleted``;
* dates: ``parse_day`` and ``iso``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

__all__ = ["Page", "page", "paged", "Limit", "Offset", "MaxWait", "MAX_WAIT", "Deleted", "parse_day", "iso", "DAY",
           "MAX_LIMIT"]

T = TypeVar("T")
DAY = 86400
MAX_LIMIT = 100
MAX_WAIT = 50  # seconds; below the ~60 s at which clients give up on a call

Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Field(ge=0, le=100_000)]
MaxWait = Annotated[int, Field(ge=0, le=MAX_WAIT, description="Not done by then? Call again.")]


class Page(BaseModel):
    total: int = Field(description="How many items matched in all.")
    offset: int
    returned: int
    next_offset: int | None = Field(description="Pass as offset to get the next page; null when there is none.")


# What every delete tool answers (no docstring: it would become a description in every schema).
class Deleted(BaseModel):
    resource_id: str = Field(description="The id of what was deleted.")
    message: str


def page(items: Sequence[T], offset: int, limit: int) -> tuple[list[T], Page]:
    chunk = list(items[offset : offset + limit])
    nxt = offset + len(chunk)
    return chunk, Page(total=len(items), offset=offset, returned=len(chunk), next_offset=nxt if nxt < len(items) else None)


async def paged(fetch: Callable[[int, int], Awaitable[tuple[list[T], int]]], offset: int, limit: int, *,
                page_size: int = 50) -> tuple[list[T], Page]:
    """``offset``/``limit`` over an API that pages by number: ``fetch(page_size, page_num)`` (pages
    from 0) -> (items, total), called for the pages that cover the window."""
    first = offset // page_size
    items: list[T] = []
    total = 0
    num = first
    while True:
        chunk, total = await fetch(page_size, num)
        items.extend(chunk)
        num += 1
        if len(chunk) < page_size or num * page_size >= min(total, offset + limit):
            break
    start = offset - first * page_size
    window = items[start : start + limit]
    nxt = offset + len(window)
    return window, Page(total=total, offset=offset, returned=len(window), next_offset=nxt if nxt < total else None)


def parse_day(value: str, name: str) -> int:
    """A YYYY-MM-DD date (UTC midnight) as unix seconds, or a tool error naming the argument."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ToolError(f"{name} must be a date like 2026-11-01, got {value!r}.") from None
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def iso(ts: float | int | str) -> str:
    try:
        return datetime.fromtimestamp(float(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError, OverflowError):
        return ""
