"""Retries live in the transport: idempotent requests only, with backoff and Retry-After."""

from __future__ import annotations

import httpx
import pytest

from novita_mcp.client import NovitaError, RateLimitError, RetryPolicy, ServerError, TransportError
from novita_mcp.client._http import HTTPCore
from novita_mcp.client._retry import parse_retry_after
from novita_mcp.sandbox import FaultRule

pytestmark = pytest.mark.anyio


def _core(sandbox, sleeps, retries: int = 3) -> HTTPCore:
    from pydantic import SecretStr

    return HTTPCore(base_url=sandbox.base_url, api_key=SecretStr(sandbox.api_key), transport=sandbox.transport(),
                    retry=RetryPolicy(retries, sleep=sleeps))


@pytest.mark.parametrize("kind", ["rate_limit", "bad_gateway", "unavailable", "drop"])
async def test_a_get_is_retried_after_transient_failures(sandbox, sleeps, kind: str) -> None:
    sandbox.faults.add(FaultRule(kind, path="/v3/user", times=2, retry_after=None))
    core = _core(sandbox, sleeps)
    body = await core.request("GET", "/v3/user")
    assert "credit_balance" in body
    assert len(sleeps.calls) == 2
    assert len(sandbox.state.requests_to("/v3/user")) == 3


async def test_retry_after_is_honoured_when_given(sandbox, sleeps) -> None:
    sandbox.faults.add(FaultRule("rate_limit", path="/v3/user", times=1, retry_after=3))
    await _core(sandbox, sleeps).request("GET", "/v3/user")
    assert sleeps.calls == [3.0]


async def test_a_retry_after_longer_than_the_cap_is_returned_to_the_caller(sandbox, sleeps) -> None:
    sandbox.faults.add(FaultRule("rate_limit", path="/v3/user", times=1, retry_after=120))
    with pytest.raises(RateLimitError) as info:
        await _core(sandbox, sleeps).request("GET", "/v3/user")
    assert info.value.retry_after == 120
    assert sleeps.calls == []


async def test_a_post_is_never_retried(sandbox, sleeps) -> None:
    sandbox.faults.add(FaultRule("unavailable", path="/v3/user", times=1))
    with pytest.raises(ServerError):
        await _core(sandbox, sleeps).request("POST", "/v3/user", json_body={})
    assert sleeps.calls == []
    assert len(sandbox.state.requests_to("/v3/user")) == 1


async def test_a_dropped_post_is_not_retried_either(sandbox, sleeps) -> None:
    sandbox.faults.add(FaultRule("drop", path="/v3/user", times=1))
    with pytest.raises(TransportError):
        await _core(sandbox, sleeps).request("POST", "/v3/user", json_body={})
    assert len(sandbox.state.requests_to("/v3/user")) == 1


async def test_a_post_marked_idempotent_is_retried(sandbox, sleeps) -> None:
    sandbox.faults.add(FaultRule("bad_gateway", path="/v3/user", times=1))
    with pytest.raises(NovitaError):
        # /v3/user has no POST route: the retry happens, then the 405-style answer is an error.
        await _core(sandbox, sleeps).request("POST", "/v3/user", json_body={}, idempotent=True)
    assert len(sleeps.calls) == 1


async def test_retries_stop_at_the_limit(sandbox, sleeps) -> None:
    sandbox.faults.add(FaultRule("server_error", path="/v3/user", times=None))
    sandbox.faults.add(FaultRule("unavailable", path="/v3/user", times=None))
    with pytest.raises(ServerError):
        await _core(sandbox, sleeps, retries=2).request("GET", "/v3/user")
    assert len(sandbox.state.requests_to("/v3/user")) == 1  # 500 is not a retry status


async def test_503_retries_stop_at_the_limit_with_growing_backoff_ceilings(sandbox, sleeps) -> None:
    sandbox.faults.add(FaultRule("unavailable", path="/v3/user", times=None, retry_after=None))
    with pytest.raises(ServerError):
        await _core(sandbox, sleeps, retries=3).request("GET", "/v3/user")
    assert len(sandbox.state.requests_to("/v3/user")) == 4
    assert [s <= 0.5 * 2**i for i, s in enumerate(sleeps.calls)] == [True, True, True]


async def test_a_slow_answer_times_out_as_a_transport_error(sandbox, sleeps) -> None:
    sandbox.faults.add(FaultRule("slow", path="/v3/user", times=None, delay=0.5))
    core = _core(sandbox, sleeps, retries=0)
    with pytest.raises(TransportError) as info:
        await core.request("GET", "/v3/user", timeout=0.05)
    assert "in time" in str(info.value)


def test_retry_after_parses_seconds_and_http_dates() -> None:
    assert parse_retry_after("5") == 5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


async def test_the_key_is_sent_to_novita_but_not_to_other_hosts() -> None:
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[request.headers["host"]] = request.headers.get("authorization")
        return httpx.Response(200, json={})

    from pydantic import SecretStr

    from novita_mcp.urlpolicy import URLPolicy

    async def resolve(host: str, port: int) -> list[str]:  # no real DNS in tests
        return ["93.184.216.34"]

    core = HTTPCore(base_url="https://api.novita.ai", api_key=SecretStr("sk_secret"), transport=httpx.MockTransport(handler))
    await core.request("GET", "/v3/user")
    await core.get_bytes("https://cdn.example.com/out.png", max_bytes=100, policy=URLPolicy(resolve=resolve))
    assert seen == {"api.novita.ai": "Bearer sk_secret", "cdn.example.com": None}


class _DropsAfterHeaders(httpx.AsyncByteStream):
    """Headers arrive, then the connection drops while the body is coming."""

    def __init__(self, drops: list[int]) -> None:
        self.drops = drops

    async def __aiter__(self):  # type: ignore[override]
        yield b'{"partial":'
        if self.drops[0] > 0:
            self.drops[0] -= 1
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        yield b' true}'


def _mid_body_core(drops: list[int], sleeps, seen: list[str]) -> HTTPCore:
    from pydantic import SecretStr

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        return httpx.Response(200, headers={"content-type": "application/json"}, stream=_DropsAfterHeaders(drops))

    return HTTPCore(base_url="https://api.novita.ai", api_key=SecretStr("k"), transport=httpx.MockTransport(handler),
                    retry=RetryPolicy(3, sleep=sleeps))


async def test_a_get_dropped_mid_body_is_retried_with_backoff(sleeps) -> None:
    seen: list[str] = []
    body = await _mid_body_core([2], sleeps, seen).request("GET", "/v3/user")
    assert body == {"partial": True} and seen == ["GET"] * 3 and len(sleeps.calls) == 2


async def test_a_post_dropped_mid_body_is_an_unknown_outcome_and_not_retried(sleeps) -> None:
    from novita_mcp.client import OutcomeUnknownError

    seen: list[str] = []
    with pytest.raises(OutcomeUnknownError):
        await _mid_body_core([1], sleeps, seen).request("POST", "/v3/async/txt2img", json_body={})
    assert seen == ["POST"] and sleeps.calls == []
