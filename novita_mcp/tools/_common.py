"""Small helpers shared by toolset modules: dates, paging, money text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

__all__ = ["Page", "page", "parse_day", "iso", "DAY", "MAX_LIMIT"]

T = TypeVar("T")
DAY = 86400
MAX_LIMIT = 100


class Page(BaseModel):
    total: int = Field(description="How many items matched in all.")
    offset: int
    returned: int
    next_offset: int | None = Field(description="Pass as offset to get the next page; null when there is none.")


def page(items: Sequence[T], offset: int, limit: int) -> tuple[list[T], Page]:
    chunk = list(items[offset : offset + limit])
    nxt = offset + len(chunk)
    return chunk, Page(total=len(items), offset=offset, returned=len(chunk), next_offset=nxt if nxt < len(items) else None)


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
