"""The one way the server reads a file at a URL: task outputs, batch files, user media.

* A path (``/openai/v1/files/…/content``) is Novita's API: the key goes with it and an
  error status is the API's error (``NotFoundError`` for a missing file id, …).
* An absolute URL is somebody's file: it is checked by the URL policy first (and fetched
  from the very address that was checked), it never carries the key, every redirect hop is
  re-checked (at most ``MAX_REDIRECTS``), and an error status is a ``DownloadError`` with
  the status and a next step.
* Size and time are bounded: a ``Content-Length`` over the limit is refused before reading,
  a body is counted as it streams, and the whole download has a deadline.
* A download is a GET: when the connection drops while the body is coming, it is fetched
  again with the client's backoff (failures before the headers are retried by the transport).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
import httpx

from novita_mcp.client._retry import STREAM_EXTENSION, RetryPolicy
from novita_mcp.client.error_mapping import error_from_response
from novita_mcp.client.errors import DownloadError, NovitaError, TransportError, URLRefusedError

if TYPE_CHECKING:  # the policy imports this package's errors: a runtime import here would be circular
    from novita_mcp.urlpolicy import Checked, URLPolicy

__all__ = ["Downloaded", "download", "NO_AUTH_EXTENSION", "MAX_REDIRECTS", "DEFAULT_DEADLINE"]

NO_AUTH_EXTENSION = "novita_no_auth"
MAX_REDIRECTS = 3
DEFAULT_DEADLINE = 120.0
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ERROR_BODY_MAX = 64 * 1024


@dataclass(frozen=True)
class Downloaded:
    data: bytes
    content_type: str | None


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def _pinned_request(client: httpx.AsyncClient, checked: Checked, timeout: float | None) -> httpx.Request:
    """A GET to the address the policy checked, still naming the host (Host header, TLS SNI)."""
    url = checked.url
    headers: dict[str, str] = {}
    extensions: dict[str, object] = {STREAM_EXTENSION: True, NO_AUTH_EXTENSION: True}
    if checked.pinned is not None:
        default = {"http": 80, "https": 443}[url.scheme]
        headers["Host"] = url.host if url.port in (None, default) else f"{url.host}:{url.port}"
        extensions["sni_hostname"] = url.host
        url = url.copy_with(host=checked.pinned)
    return client.build_request("GET", url, headers=headers, extensions=extensions,
                                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT)


async def _error_of_api(response: httpx.Response) -> NovitaError:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body.extend(chunk)
        if len(body) > _ERROR_BODY_MAX:
            break
    # error_from_response reads .content: give it the (bounded) bytes we have.
    response._content = bytes(body[:_ERROR_BODY_MAX])  # noqa: SLF001 - a read response, rebuilt bounded
    return error_from_response(response)


async def _body(response: httpx.Response, max_bytes: int, shown: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise DownloadError(f"The file at {shown} is {_mb(int(declared))}; at most {_mb(max_bytes)} is read.",
                            next_step="Use a smaller file.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise DownloadError(f"The file at {shown} is larger than {_mb(max_bytes)}; it was not read further.",
                                next_step="Use a smaller file.")
        chunks.append(chunk)
    return b"".join(chunks)


async def _once(client: httpx.AsyncClient, target: str, *, policy: URLPolicy, api: bool, max_bytes: int,
                timeout: float | None) -> Downloaded:
    """One download, following (and re-checking) redirects of an absolute URL."""
    if api:
        request = client.build_request("GET", target, extensions={STREAM_EXTENSION: True},
                                       timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT)
        shown = target.split("?", 1)[0]
    else:
        checked = await policy.check(target)
        request, shown = _pinned_request(client, checked, timeout), checked.shown
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            response = await client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _NotReached(exc) from None
        try:
            if not api and response.status_code in _REDIRECTS and response.headers.get("location"):
                location = response.headers["location"]
                try:
                    nxt = checked.url.join(location)
                except (httpx.InvalidURL, ValueError):
                    raise URLRefusedError(f"The file at {shown} redirects to an invalid URL; it was not "
                                          "followed.") from None
                checked = await policy.check(nxt)
                request, shown = _pinned_request(client, checked, timeout), checked.shown
                continue
            if response.status_code >= 400:
                if api:
                    raise await _error_of_api(response)
                raise DownloadError(f"The file at {shown} could not be downloaded: HTTP {response.status_code}.",
                                    status=response.status_code)
            if 300 <= response.status_code < 400:
                raise DownloadError(f"The file at {shown} answered HTTP {response.status_code} without a usable "
                                    "redirect.", status=response.status_code)
            return Downloaded(await _body(response, max_bytes, shown), response.headers.get("content-type"))
        finally:
            await response.aclose()
    raise DownloadError(f"The file at {shown} redirects more than {MAX_REDIRECTS} times; it was not followed.")


class _NotReached(Exception):
    """The request failed before any answer: the transport has already retried it."""

    def __init__(self, exc: httpx.TransportError) -> None:
        super().__init__(type(exc).__name__)
        self.exc = exc


async def download(client: httpx.AsyncClient, target: str, *, policy: URLPolicy, retry: RetryPolicy,
                   max_bytes: int, timeout: float | None = None, deadline: float = DEFAULT_DEADLINE) -> Downloaded:
    """Fetch ``target`` (an API path, or an absolute URL checked by ``policy``) within the limits."""
    api = target.startswith("/")
    what = "Novita" if api else "the file's host"
    attempt = 0
    while True:
        try:
            with anyio.fail_after(deadline):
                return await _once(client, target, policy=policy, api=api, max_bytes=max_bytes, timeout=timeout)
        except TimeoutError:
            if api:
                raise TransportError(f"Downloading {target.split('?', 1)[0]} from Novita took longer than "
                                     f"{deadline:g} s; it was stopped.") from None
            raise DownloadError(f"The download took longer than {deadline:g} s; it was stopped.",
                                next_step="Try again later, or use a smaller file.") from None
        except _NotReached as failed:
            kind = type(failed.exc).__name__
            if api:
                raise TransportError(f"Could not reach Novita ({kind}) to download {target.split('?', 1)[0]}.") \
                    from None
            raise DownloadError(f"Could not reach the file's host ({kind}).",
                                next_step="Check the URL and the network, then try again.") from None
        except httpx.TransportError as exc:  # dropped while the body was coming: a GET, so fetch it again
            if attempt >= retry.max_retries:
                kind = type(exc).__name__
                if api:
                    raise TransportError(f"The connection to Novita kept dropping ({kind}) while downloading "
                                         f"{target.split('?', 1)[0]}.") from None
                raise DownloadError(f"The connection to {what} kept dropping ({kind}) during the download.",
                                    next_step="Try again in a minute.") from None
            await retry.sleep(retry.backoff(attempt))
            attempt += 1
        except httpx.InvalidURL:
            raise URLRefusedError("The URL is not valid; it was not fetched.") from None
