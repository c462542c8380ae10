"""An error response from Novita, mapped to the client's typed errors (``client/errors.py``).

Its own module so that the request core (``_http``) and downloads (``download``) share it
without importing each other.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from novita_mcp.client._retry import parse_retry_after
from novita_mcp.client.errors import (
    BALANCE_REASONS,
    APIError,
    AuthenticationError,
    BadRequestError,
    InsufficientBalanceError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)

__all__ = ["error_from_response"]

_MAX_MESSAGE = 300
_REQUEST_ID_HEADERS = ("x-request-id", "x-trace-id", "trace-id", "x-novita-request-id")


def _trim(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _envelope(body: Any) -> tuple[str | None, str | None]:
    """(reason, message) from any of the envelopes Novita uses (REFERENCE.md §2.1)."""
    if not isinstance(body, dict):
        return None, None
    reason = body.get("reason")
    message = body.get("message") or body.get("msg")
    error = body.get("error")
    if isinstance(error, dict):
        message = message or error.get("message")
        code = error.get("code") or error.get("type")
        reason = reason or (code if isinstance(code, str) else None)
    elif isinstance(error, str):
        message = message or error
    code = body.get("code")
    if not reason and isinstance(code, str) and code.isupper():
        reason = code  # one third-party client saw a string code in the GPU family
    return (str(reason) if reason else None), (str(message) if message else None)


def error_from_response(response: httpx.Response) -> APIError:
    """Map an error response to the typed hierarchy; never keeps the raw body."""
    status = response.status_code
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        body = None
    reason, message = _envelope(body)
    message = _trim(message or response.reason_phrase or "request failed")
    request_id = next((response.headers[h] for h in _REQUEST_ID_HEADERS if h in response.headers), None)
    kwargs: dict[str, Any] = {"status": status, "reason": reason, "request_id": request_id}
    if reason in BALANCE_REASONS:
        return InsufficientBalanceError(message, **kwargs)
    if status == 429:
        return RateLimitError(message, retry_after=parse_retry_after(response.headers.get("retry-after")), **kwargs)
    if status == 401 or reason in {"INVALID_API_KEY", "MISSING_API_KEY", "FAILED_TO_AUTH", "UNAUTHORIZED"}:
        return AuthenticationError(message, **kwargs)
    if status == 404 or (reason or "").endswith("_NOT_FOUND") or reason == "RESOURCE_NOT_FOUND":
        return NotFoundError(message, **kwargs)
    if status == 403:
        return PermissionDeniedError(message, **kwargs)
    if status >= 500:
        return ServerError(message, **kwargs)
    return BadRequestError(message, **kwargs)
