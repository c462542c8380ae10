"""The one download helper: errors with their status, bounds, mid-body retries, pinned and re-checked hops."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from pydantic import SecretStr

from novita_mcp.client import DownloadError, NotFoundError, RetryPolicy, TransportError, URLRefusedError
from novita_mcp.client._http import HTTPCore
from novita_mcp.urlpolicy import URLPolicy

pytestmark = pytest.mark.anyio

PUBLIC = "93.184.216.34"


async def resolve(host: str, port: int) -> list[str]:
    return {"cdn.example": [PUBLIC], "inside.example": ["10.0.0.5"]}.get(host) or []


def core(handler, sleeps=None) -> HTTPCore:
    async def no_sleep(seconds: float) -> None:
        (sleeps if sleeps is not None else []).append(seconds)

    return HTTPCore(base_url="https://api.novita.ai", api_key=SecretStr("sk_secret"),
                    transport=httpx.MockTransport(handler), retry=RetryPolicy(3, sleep=no_sleep))


POLICY = URLPolicy(trusted=["https://api.novita.ai"], resolve=resolve)


@pytest.mark.parametrize("status", [403, 404, 410, 500])
async def test_an_error_status_on_a_file_is_a_download_error_with_the_status(status: int) -> None:
    http = core(lambda request: httpx.Response(status, text="<Error>secret body</Error>"))
    with pytest.raises(DownloadError) as info:
        await http.get_bytes("https://cdn.example/out.png?X-Amz-Signature=abc", max_bytes=100, policy=POLICY)
    error = info.value
    assert error.status == status and f"HTTP {status}" in error.message
    assert "Signature" not in error.describe() and "secret body" not in error.describe()


async def test_an_api_file_that_does_not_exist_is_the_api_s_not_found() -> None:
    http = core(lambda request: httpx.Response(404, json={"code": 404, "reason": "FILE_NOT_FOUND",
                                                          "message": "file not found"}))
    with pytest.raises(NotFoundError) as info:
        await http.get_bytes("/openai/v1/files/file-x/content", max_bytes=100)
    assert "file not found" in str(info.value)


async def test_sizes_are_bounded_declared_or_streamed() -> None:
    declared = core(lambda request: httpx.Response(200, content=b"x" * 50))
    with pytest.raises(DownloadError, match="at most"):
        await declared.get_bytes("https://cdn.example/a", max_bytes=10, policy=POLICY)

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"y" * 10

    streamed = core(lambda request: httpx.Response(200, content=endless()))
    with pytest.raises(DownloadError, match="larger than"):
        await streamed.get_bytes("https://cdn.example/a", max_bytes=55, policy=POLICY)


class DropsOnce(httpx.AsyncByteStream):
    drops = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"part-"
        if DropsOnce.drops < 2:
            DropsOnce.drops += 1
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        yield b"rest"


async def test_a_drop_mid_body_is_fetched_again_with_backoff() -> None:
    DropsOnce.drops = 0
    seen: list[str] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, stream=DropsOnce())

    data, _ = await core(handler, sleeps).get_bytes("https://cdn.example/a", max_bytes=100, policy=POLICY)
    assert data == b"part-rest" and len(seen) == 3 and len(sleeps) == 2


async def test_a_drop_that_keeps_happening_on_an_api_read_is_a_transport_error() -> None:
    DropsOnce.drops = -10
    with pytest.raises(TransportError, match="kept dropping"):
        await core(lambda r: httpx.Response(200, stream=DropsOnce())).get_bytes("/openai/v1/files/f/content",
                                                                                 max_bytes=100)


async def test_a_file_is_fetched_from_the_checked_address_without_the_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"ok")

    await core(handler).get_bytes("https://cdn.example:8443/out.png", max_bytes=10, policy=POLICY)
    request = seen[0]
    assert request.url.host == PUBLIC and request.url.port == 8443
    assert request.headers["host"] == "cdn.example:8443" and request.extensions["sni_hostname"] == "cdn.example"
    assert "authorization" not in request.headers


async def test_even_novita_s_own_host_gets_no_key_from_an_argument_url() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"ok")

    await core(handler).get_bytes("https://api.novita.ai/v3/user", max_bytes=10, policy=POLICY)
    assert "authorization" not in seen[0].headers


async def test_every_redirect_hop_is_checked_and_the_count_is_bounded() -> None:
    def private_hop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://inside.example/secret"})

    with pytest.raises(URLRefusedError, match="non-public"):
        await core(private_hop).get_bytes("https://cdn.example/a", max_bytes=10, policy=POLICY)

    def loop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "/again"})

    with pytest.raises(DownloadError, match="redirects more than"):
        await core(loop).get_bytes("https://cdn.example/a", max_bytes=10, policy=POLICY)

    hops: list[str] = []

    def one_hop(request: httpx.Request) -> httpx.Response:
        hops.append(request.headers["host"] + request.url.path)
        if request.url.path == "/a":
            return httpx.Response(302, headers={"Location": "https://cdn.example/b"})
        return httpx.Response(200, content=b"fine")

    data, _ = await core(one_hop).get_bytes("https://cdn.example/a", max_bytes=10, policy=POLICY)
    assert data == b"fine" and hops == ["cdn.example/a", "cdn.example/b"]


async def test_a_download_has_a_deadline() -> None:
    async def slow() -> AsyncIterator[bytes]:
        yield b"a"
        await anyio.sleep(5)
        yield b"b"

    http = core(lambda request: httpx.Response(200, content=slow()))
    with pytest.raises(DownloadError, match="longer than"):
        from novita_mcp.client.download import download

        await download(http._client, "https://cdn.example/a", policy=POLICY, retry=RetryPolicy(0),  # noqa: SLF001
                       max_bytes=10, deadline=0.02)


async def test_an_invalid_url_is_refused_not_crashed() -> None:
    http = core(lambda request: httpx.Response(200))
    for url in ["https://exa\x00mple.com/a", "https://[::1/a", "https://cdn.example/a\n"]:
        with pytest.raises(URLRefusedError):
            await http.get_bytes(url, max_bytes=10, policy=POLICY)
