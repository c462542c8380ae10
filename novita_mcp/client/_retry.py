"""Retries, in the transport, only where repeating a request is harmless.

A request is retried when it is idempotent - GET/HEAD/OPTIONS, or a request explicitly
marked with the ``novita_idempotent`` extension - and the answer is 429/502/503/504 or the
connection failed, before the headers or while the body was coming (a drop mid-body only
shows when the body is read, so an idempotent answer is read here, inside the loop, unless
the caller streams it: ``novita_stream``, whose reader retries on its own). A POST that
creates or bills is never retried: it may have been carried out already. Backoff is exponential with full jitter; a ``Retry-After`` header wins when
it is within the cap, and a longer one is left to the caller (the error carries it).
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable

import anyio
import httpx

__all__ = ["RetryTransport", "RetryPolicy", "IDEMPOTENT_EXTENSION", "STREAM_EXTENSION", "is_idempotent"]

log = logging.getLogger("novita_mcp.client.retry")

IDEMPOTENT_EXTENSION = "novita_idempotent"
# Set by a caller that reads the body itself, in bounded chunks (downloads): not buffered here.
STREAM_EXTENSION = "novita_stream"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Sleep = Callable[[float], Awaitable[None]]


class RetryPolicy:
    """How many times and how long to wait; ``sleep`` and ``rng`` are injectable for tests."""

    def __init__(
        self,
        max_retries: int = 3,
        *,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        max_retry_after: float = 30.0,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retry_after = max_retry_after
        self.sleep: Sleep = sleep or anyio.sleep
        self.rng = rng or random.Random()

    def backoff(self, attempt: int) -> float:
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return self.rng.uniform(0, ceiling)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def is_idempotent(request: httpx.Request) -> bool:
    marked = request.extensions.get(IDEMPOTENT_EXTENSION)
    if marked is not None:
        return bool(marked)
    return request.method in _SAFE_METHODS


class RetryTransport(httpx.AsyncBaseTransport):
    """Wraps another transport and retries idempotent requests per the policy."""

    def __init__(self, inner: httpx.AsyncBaseTransport, policy: RetryPolicy) -> None:
        self._inner = inner
        self._policy = policy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        policy = self._policy
        retryable = is_idempotent(request)
        attempt = 0
        buffer = retryable and not request.extensions.get(STREAM_EXTENSION)
        while True:
            try:
                response = await self._inner.handle_async_request(request)
                if buffer:
                    await _read_or_close(response)
            except httpx.TransportError as exc:
                if not retryable or attempt >= policy.max_retries or isinstance(exc, httpx.UnsupportedProtocol):
                    raise
                delay = policy.backoff(attempt)
                _note_retry(request, type(exc).__name__, delay, attempt, policy.max_retries)
                await policy.sleep(delay)
                attempt += 1
                continue
            if not retryable or response.status_code not in RETRY_STATUSES or attempt >= policy.max_retries:
                return response
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if retry_after is not None and retry_after > policy.max_retry_after:
                return response  # too long to wait inside one tool call; the caller sees retry_after
            await response.aclose()
            delay = retry_after if retry_after is not None else policy.backoff(attempt)
            _note_retry(request, f"HTTP {response.status_code}", delay, attempt, policy.max_retries)
            await policy.sleep(delay)
            attempt += 1

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _read_or_close(response: httpx.Response) -> None:
    """Read the whole body now, so a connection dropped mid-body is a retryable failure here."""
    try:
        await response.aread()
    except BaseException:
        await response.aclose()
        raise


def _note_retry(request: httpx.Request, cause: str, delay: float, attempt: int, limit: int) -> None:
    # Method and path only: never headers (the key) nor the query.
    log.info("retrying %s %s in %.1f s after %s (retry %d of %d)", request.method, request.url.path, delay, cause,
             attempt + 1, limit)
