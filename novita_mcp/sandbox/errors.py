"""Novita's error envelopes and status codes, per API family (Novita docs: basic-error-code)."""

from __future__ import annotations

from typing import Any, Literal

from starlette.responses import JSONResponse

__all__ = ["Family", "SandboxError", "error_response", "status_for", "family_of", "json_object"]

Family = Literal["llm", "media", "gpu", "billing", "dedicated"]

_MEDIA = {
    "INVALID_REQUEST_BODY": 400, "IMAGE_FILE_EXCEEDS_MAX_SIZE": 400, "INVALID_IMAGE_FORMAT": 400,
    "IMAGE_EXCEEDS_MAX_RESOLUTION": 400, "INVALID_IMAGE_SIZE": 400, "API_NOT_FOUND": 404,
    "IMAGE_NO_FACE_DETECTED": 400, "INVALID_CUSTOM_OUTPUT_PATH": 400, "ILLEGAL_PROMPT": 400,
    "ILLEGAL_IMAGE_CONTENT": 400, "INVALID_AUDIO_FILE": 400, "BILLING_FAILED": 500, "BILLING_AUTH_FAILED": 403,
    "BILLING_BALANCE_NOT_ENOUGH": 400, "MISSING_API_KEY": 400, "INVALID_API_KEY": 403, "FEATURE_NOT_ALLOWED": 403,
    "API_NOT_ALLOWED": 403, "RATE_LIMIT_EXCEEDED": 429, "NEED_REAL_NAME_VERIFY": 403, "CREATE_TASK_FAILED": 500,
    "TASK_NOT_FOUND": 404, "GET_RESULT_FAILED": 500, "TASK_FAILED": 500,
}
_LLM = {
    "INVALID_API_KEY": 403, "MODEL_NOT_FOUND": 404, "FAILED_TO_AUTH": 401, "NOT_ENOUGH_BALANCE": 403,
    "INVALID_REQUEST_BODY": 400, "RATE_LIMIT_EXCEEDED": 429, "TOKEN_LIMIT_EXCEEDED": 429,
    "SERVICE_NOT_AVAILABLE": 503, "ACCESS_DENY": 403, "NOT_FOUND": 404, "INTERNAL_SERVER_ERROR": 500,
}
# GPU reasons are 400 unless listed here.
_GPU = {
    "UNKNOWN": 500, "FORBIDDEN": 403, "UNAUTHORIZED": 401, "SEND_CODE_TOO_FAST": 429, "RATE_LIMIT_EXCEEDED": 429,
    "WALLET_NOT_FOUND": 500, "SERVICE_UNAVAILABLE": 503,
}
_BILLING = {
    "UNKNOWN": 500, "LIST_BILL_TOO_FAST": 429, "INVALID_PRODUCT_CATEGORY": 400, "INVALID_BILL_CYCLE": 400,
    "LIST_BILL_ERROR": 500, "UNAUTHORIZED": 401, "RATE_LIMIT_EXCEEDED": 429, "SERVICE_UNAVAILABLE": 503,
}
_DEDICATED = {"NOT_FOUND": 404, "UNAUTHORIZED": 401, "INVALID_REQUEST_BODY": 400, "CONFLICT": 409}

_TABLES: dict[str, dict[str, int]] = {
    "media": _MEDIA, "llm": _LLM, "gpu": _GPU, "billing": _BILLING, "dedicated": _DEDICATED,
}


def status_for(family: Family, reason: str) -> int:
    table = _TABLES[family]
    if reason in table:
        return table[reason]
    return 400 if family == "gpu" else 500


def family_of(path: str) -> Family:
    """Which family (and so which auth errors and envelope) a path belongs to."""
    if path.startswith(("/openai/", "/v3/openai/", "/anthropic/")) or path in ("/openai", "/v3/openai"):
        return "llm"
    if path.startswith(("/gpu-instance/", "/gpus/", "/openapi/v1/metrics/")):
        return "gpu"
    if path.startswith(("/openapi/v1/billing/", "/openapi/v1/bill/")):
        return "billing"
    if path.startswith("/v0/dedicated_endpoints") or path.startswith("/v1/"):
        return "dedicated"
    return "media"


class SandboxError(Exception):
    """Raised inside a sandbox handler; rendered as Novita's envelope for the family."""

    def __init__(
        self,
        family: Family,
        reason: str,
        message: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.family = family
        self.reason = reason
        self.message = message
        self.status = status or status_for(family, reason)
        self.headers = headers or {}
        self.metadata = metadata or {}

    def response(self) -> JSONResponse:
        return error_response(self.family, self.reason, self.message, status=self.status, headers=self.headers,
                              metadata=self.metadata)


def error_response(
    family: Family,
    reason: str,
    message: str,
    *,
    status: int | None = None,
    headers: dict[str, str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> JSONResponse:
    """The go-kratos envelope ``{code, reason, message, metadata}`` used across families."""
    code = status or status_for(family, reason)
    body = {"code": code, "reason": reason, "message": message, "metadata": metadata or {}}
    return JSONResponse(body, status_code=code, headers=headers)


# The reason each family gives a body it cannot read (the GPU family validates with VALIDATOR_PARAM).
_BAD_BODY_REASON = {"gpu": "VALIDATOR_PARAM", "billing": "INVALID_REQUEST_BODY"}


async def json_object(request: Any, family: Family) -> dict[str, Any]:
    """The request's JSON object, or the family's 400 when the body is not one."""
    reason = _BAD_BODY_REASON.get(family, "INVALID_REQUEST_BODY")
    try:
        body = await request.json()
    except ValueError:
        raise SandboxError(family, reason, "the request body must be JSON", status=400) from None
    if not isinstance(body, dict):
        raise SandboxError(family, reason, "the request body must be a JSON object", status=400)
    return body
