"""Every documented error envelope maps to one typed exception, without the raw body or the key."""

from __future__ import annotations

import httpx
import pytest

from novita_mcp.client import (
    AuthenticationError,
    BadRequestError,
    InsufficientBalanceError,
    MalformedResponseError,
    NotFoundError,
    NovitaClient,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TransportError,
)
from novita_mcp.client._http import error_from_response

pytestmark = pytest.mark.anyio


def _response(status: int, body: object = None, *, text: str | None = None, headers: dict | None = None) -> httpx.Response:
    if text is not None:
        return httpx.Response(status, text=text, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (400, "INVALID_REQUEST_BODY", BadRequestError),
        (403, "INVALID_API_KEY", AuthenticationError),
        (400, "MISSING_API_KEY", AuthenticationError),
        (401, "FAILED_TO_AUTH", AuthenticationError),
        (401, "UNAUTHORIZED", AuthenticationError),
        (403, "NOT_ENOUGH_BALANCE", InsufficientBalanceError),
        (400, "BILLING_BALANCE_NOT_ENOUGH", InsufficientBalanceError),
        (400, "BALANCE_NOT_ENOUGH", InsufficientBalanceError),
        (404, "MODEL_NOT_FOUND", NotFoundError),
        (404, "TASK_NOT_FOUND", NotFoundError),
        (400, "RESOURCE_NOT_FOUND", NotFoundError),
        (400, "SERVERLESS_ENDPOINT_NOT_FOUND", NotFoundError),
        (403, "FEATURE_NOT_ALLOWED", PermissionDeniedError),
        (403, "ACCESS_DENY", PermissionDeniedError),
        (429, "RATE_LIMIT_EXCEEDED", RateLimitError),
        (429, "TOKEN_LIMIT_EXCEEDED", RateLimitError),
        (429, "LIST_BILL_TOO_FAST", RateLimitError),
        (503, "SERVICE_NOT_AVAILABLE", ServerError),
        (500, "BILLING_FAILED", ServerError),
        (500, "LIST_BILL_ERROR", ServerError),
        (400, "OPERATION_LIMIT", BadRequestError),
        (400, "INVALID_BILL_CYCLE", BadRequestError),
    ],
)
def test_kratos_envelopes_map_to_their_class_and_keep_the_reason(status: int, reason: str, expected: type) -> None:
    err = error_from_response(_response(status, {"code": status, "reason": reason, "message": "m", "metadata": {}}))
    assert type(err) is expected
    assert err.status == status and err.reason == reason
    assert reason in str(err) and err.next_step


def test_openai_style_error_object_is_understood() -> None:
    err = error_from_response(_response(400, {"error": {"message": "bad temperature", "type": "invalid_request_error"}}))
    assert isinstance(err, BadRequestError)
    assert err.message == "bad temperature"
    assert err.reason == "invalid_request_error"


def test_string_code_in_the_gpu_family_is_taken_as_the_reason() -> None:
    err = error_from_response(_response(400, {"code": "INSUFFICIENT_RESOURCE", "message": "no GPUs left"}))
    assert err.reason == "INSUFFICIENT_RESOURCE"


def test_plain_error_string_and_non_json_bodies_do_not_leak_the_body() -> None:
    assert error_from_response(_response(400, {"error": "nope"})).message == "nope"
    html = "<html>" + "x" * 5000 + "</html>"
    err = error_from_response(_response(502, text=html))
    assert isinstance(err, ServerError)
    assert "<html>" not in str(err) and len(str(err)) < 400


def test_request_id_and_retry_after_are_kept() -> None:
    err = error_from_response(_response(429, {"reason": "RATE_LIMIT_EXCEEDED", "message": "slow down"},
                                        headers={"x-request-id": "req-42", "Retry-After": "7"}))
    assert isinstance(err, RateLimitError)
    assert err.request_id == "req-42" and err.retry_after == 7
    assert "Wait 7 s" in err.describe()


def test_long_messages_are_trimmed() -> None:
    err = error_from_response(_response(400, {"reason": "INVALID_REQUEST_BODY", "message": "y" * 2000}))
    assert len(err.message) <= 300


async def test_a_2xx_body_that_is_not_json_is_a_malformed_response(sandbox) -> None:
    from novita_mcp.sandbox import FaultRule

    sandbox.faults.add(FaultRule("malformed", path="/v3/user"))
    async with NovitaClient(api_key=sandbox.api_key, base_url=sandbox.base_url, transport=sandbox.transport()) as c:
        with pytest.raises(MalformedResponseError):
            await c.account.user_info()


async def test_an_unreachable_host_is_a_transport_error_naming_the_call() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    from novita_mcp.client import RetryPolicy

    async def no_sleep(_: float) -> None:
        return None

    async with NovitaClient(api_key="sk_x", transport=httpx.MockTransport(refuse),
                            retry=RetryPolicy(2, sleep=no_sleep)) as c:
        with pytest.raises(TransportError) as info:
            await c.account.balance()
    assert "GET /openapi/v1/billing/balance/detail" in str(info.value)
