"""The request core shared by every domain: auth, timeouts, JSON, error mapping."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from pydantic import SecretStr

from novita_mcp import __version__
from novita_mcp.client._retry import (
    IDEMPOTENT_EXTENSION,
    STREAM_EXTENSION,
    RetryPolicy,
    RetryTransport,
)
from novita_mcp.client.download import NO_AUTH_EXTENSION, download
from novita_mcp.client.error_mapping import error_from_response
from novita_mcp.client.errors import (
    MalformedResponseError,
    OutcomeUnknownError,
    TransportError,
)

__all__ = ["HTTPCore", "error_from_response"]



def _origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    u = httpx.URL(url)
    return (u.scheme, u.host, u.port)


class _BearerAuth(httpx.Auth):
    """Adds the key at send time, and only to Novita's own origins.

    The key lives in one SecretStr and never in client defaults; a download from a signed
    media URL on another host goes out without it, and so does any download of an absolute
    URL (``novita_no_auth``): a URL an argument named never gets the key, even on Novita's host.
    """

    def __init__(self, key: SecretStr | None, origins: set[tuple[str, str, int | None]]) -> None:
        self._key = key
        self._origins = origins

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]  # httpx's own signature
        if (self._key is not None and _origin(request.url) in self._origins
                and not request.extensions.get(NO_AUTH_EXTENSION)):
            request.headers["Authorization"] = f"Bearer {self._key.get_secret_value()}"
        yield request

    def __repr__(self) -> str:
        return "_BearerAuth(****)"


# Failures that prove the request never left: nothing can have happened at Novita.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def _writes(method: str, idempotent: bool | None) -> bool:
    return (method.upper() not in ("GET", "HEAD", "OPTIONS")) if idempotent is None else not idempotent


def _transport_error(exc: httpx.TransportError, method: str, path: str, *, writes: bool) -> TransportError:
    """A transport failure in words; a write that may have arrived is an OutcomeUnknownError."""
    kind = type(exc).__name__
    if writes and not isinstance(exc, _NOT_SENT):
        return OutcomeUnknownError(f"{method} {path} was sent to Novita but no answer came back ({kind}); it may "
                                   "have been carried out.", method=method, path=path)
    if isinstance(exc, httpx.TimeoutException):
        return TransportError(f"Novita did not answer in time ({kind}) for {method} {path}.")
    return TransportError(f"Could not reach Novita ({kind}) for {method} {path}.")


class _OnFirstRequest(httpx.AsyncBaseTransport):
    """The network transport, created by the first request: its TLS context costs tens of
    milliseconds that a server should not spend before it can list its tools."""

    def __init__(self) -> None:
        self._transport: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._transport is None:
            self._transport = httpx.AsyncHTTPTransport()
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()


class HTTPCore:
    """One ``httpx.AsyncClient`` with auth, timeouts and retries, shared by the domains."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr | None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        extra_origins: tuple[str, ...] = (),
    ) -> None:
        from novita_mcp.urlpolicy import URLPolicy

        inner = transport or _OnFirstRequest()
        self._retry = retry or RetryPolicy()
        self.base_url = base_url.rstrip("/")
        self.trusted_origins: list[str] = [self.base_url, *extra_origins]
        # What any absolute URL is checked against; Novita's own origins skip the address check.
        self.url_policy = URLPolicy(trusted=self.trusted_origins)
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            transport=RetryTransport(inner, self._retry),
            auth=_BearerAuth(api_key, {_origin(u) for u in (base_url, *extra_origins)}),
            timeout=timeout or httpx.Timeout(connect=10.0, read=60.0, write=30.0, pool=10.0),
            headers={"User-Agent": f"novita-mcp/{__version__}", "Accept": "application/json"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"HTTPCore(base_url={self.base_url!r})"

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        idempotent: bool | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        files: Any = None,
        data: Any = None,
    ) -> Any:
        """Send one request and return the decoded JSON body (``{}`` for an empty body).

        ``idempotent`` marks a non-GET request as safe to retry (e.g. a POST that only reads).
        ``files``/``data`` send a multipart form instead of JSON (file uploads).
        """
        url = (base_url.rstrip("/") + path) if base_url else path
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        extensions: dict[str, Any] = {}
        if idempotent is not None:
            extensions[IDEMPOTENT_EXTENSION] = idempotent
        request = self._client.build_request(
            method,
            url,
            params=clean or None,
            json=json_body,
            files=files,
            data=data,
            extensions=extensions or None,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )
        try:
            response = await self._client.send(request)
        except httpx.TransportError as exc:
            raise _transport_error(exc, method, path, writes=_writes(method, idempotent)) from None
        writes = _writes(method, idempotent)
        if response.status_code >= 400:
            error = error_from_response(response)
            error.after_write = writes
            raise error
        if not response.content:
            return {}
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            malformed = MalformedResponseError(f"Novita answered {method} {path} with a body that is not JSON.")
            malformed.after_write = writes
            raise malformed from None

    @asynccontextmanager
    async def stream(
        self, method: str, path: str, *, json_body: Any = None, base_url: str | None = None
    ) -> AsyncIterator[httpx.Response]:
        """Open a streamed response (e.g. server-sent events); errors are mapped like ``request``.

        A failure once the request is sent - before the headers or while the events come - is
        an ``OutcomeUnknownError`` for a write (a chat was answered, and billed, in part).
        """
        url = (base_url.rstrip("/") + path) if base_url else path
        try:
            async with self._client.stream(method, url, json=json_body, headers={"Accept": "text/event-stream"},
                                           extensions={STREAM_EXTENSION: True}) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise error_from_response(response)
                yield response
        except httpx.TransportError as exc:
            raise _transport_error(exc, method, path, writes=_writes(method, None)) from None

    async def get_bytes(self, url: str, *, max_bytes: int, policy: Any = None, timeout: float | None = None,
                        deadline: float | None = None) -> tuple[bytes, str | None]:
        """Download an API path (with the key) or an absolute URL (checked by ``policy``, else
        ``url_policy``; never with the key), refusing more than ``max_bytes``.

        Raises ``NotFoundError`` & co. for an API path, ``DownloadError`` (with the status) or
        ``URLRefusedError`` for a URL, ``TransportError`` when Novita cannot be reached.
        """
        got = await download(self._client, url, policy=policy or self.url_policy, retry=self._retry,
                             max_bytes=max_bytes, timeout=timeout,
                             **({"deadline": deadline} if deadline is not None else {}))
        return got.data, got.content_type

    def trust_origin(self, url: str) -> None:
        """Also send the key to ``url``'s origin: another Novita host (e.g. the async serverless one)."""
        auth = self._client.auth
        if isinstance(auth, _BearerAuth):
            auth._origins.add(_origin(url))
        self.trusted_origins.append(url.rstrip("/"))
        self.url_policy.trust(url)

    async def put_bytes(self, url: str, data: bytes, *, content_type: str | None = None) -> None:
        """PUT raw bytes to an upload URL (pre-signed: the key only goes to Novita's own origins).

        Never retried: an upload is repeated by asking for a fresh URL. A failure after the
        bytes left is an ``OutcomeUnknownError`` (the file may have arrived), with the next step
        that fits an upload: uploads are free, so ask for a fresh URL and upload again.
        """
        headers = {"Content-Type": content_type} if content_type else None
        request = self._client.build_request("PUT", url, content=data, headers=headers,
                                             extensions={IDEMPOTENT_EXTENSION: False})
        try:
            response = await self._client.send(request)
        except httpx.TransportError as exc:
            kind = type(exc).__name__
            if isinstance(exc, _NOT_SENT):
                raise TransportError(f"Could not reach the upload URL ({kind}); nothing was uploaded.") from None
            error = OutcomeUnknownError(f"The file was sent to the upload URL but no answer came back ({kind}); it "
                                        "may or may not have arrived.", method="PUT", path="(upload URL)")
            error.next_step = ("Uploads are free: upload the file again (each upload gets a fresh URL and id) and "
                               "use the new id.")
            raise error from None
        except httpx.InvalidURL:
            raise MalformedResponseError("Novita gave an upload URL that is not valid.") from None
        if response.status_code >= 400:
            raise error_from_response(response)

    async def aclose(self) -> None:
        await self._client.aclose()
