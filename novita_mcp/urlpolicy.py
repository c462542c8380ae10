"""What the server may fetch or read because an argument named it: one policy, in one place.

URLs (user media, and any link the server downloads that is not Novita's own API):

* http and https only, at most 4096 characters, no control characters, no credentials
  (``user:pass@``), a host that is a name or a canonical IP literal (``2130706433`` and
  ``0x7f.1`` are refused rather than guessed at);
* the host is resolved and the URL is refused if **any** address is not public: loopback,
  private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 - the cloud
  metadata address - and fe80::/10), multicast, reserved, unspecified, shared (100.64/10),
  including IPv4 addresses wrapped in IPv6 (``::ffff:127.0.0.1``, 6to4, NAT64, Teredo);
* the fetch then goes to the address that was checked (``Checked.pinned``), so a name that
  answers differently the second time (DNS rebinding) cannot slip through; redirects are
  not followed by the client, and the downloader re-checks every hop it follows.

The only URLs that skip the address check are the *trusted origins* the settings name:
Novita's API origins - which in ``--sandbox`` is ``http://sandbox.novita.invalid``, an
in-process address that never reaches the network, and in tests the one loopback port the
sandbox is served on. It is an exact (scheme, host, port) match, never "any loopback".

Local paths: a local (stdio) user may name any file, as on their own machine. A call that
came over HTTP may only read files under ``NOVITA_MCP_FILES_DIR``; without it, none. The
check is done on the path text and its resolved form before anything is opened, and a
refused path and a missing one get the same answer, so the answer says nothing about what
exists on the server.

Tests inject ``resolve`` so that "a name resolving to 127.0.0.1" never touches real DNS.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx

from novita_mcp.client.errors import URLRefusedError

__all__ = ["URLPolicy", "Checked", "Resolver", "system_resolver", "is_public_address", "origin_of",
           "PathPolicy", "MAX_URL_LENGTH"]

MAX_URL_LENGTH = 4096
Resolver = Callable[[str, int], Awaitable[list[str]]]
Origin = tuple[str, str, int]
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NUMERIC_LABEL = re.compile(r"^(?:[0-9]+|0[xX][0-9a-fA-F]*)$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (A and AAAA), via the system resolver."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # deprecated IPv4-compatible form ::a.b.c.d
        return ipaddress.IPv4Address(int(ip))
    return None


def is_public_address(address: str) -> bool:
    """True only for a globally routable unicast address (IPv4-in-IPv6 forms judged by their IPv4)."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            return is_public_address(str(inner))
        if ip.is_site_local:
            return False
    elif ip in _SHARED:
        return False
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                                 or ip.is_reserved or ip.is_unspecified)


def origin_of(url: str | httpx.URL) -> Origin:
    u = httpx.URL(url)
    return (u.scheme, u.host, u.port or _DEFAULT_PORTS.get(u.scheme, 0))


@dataclass(frozen=True)
class Checked:
    """A URL that passed: ``pinned`` is the checked address to connect to (None: a trusted origin)."""

    url: httpx.URL
    pinned: str | None

    @property
    def shown(self) -> str:
        """The URL without its query (signed links carry credentials there), for messages."""
        return str(self.url.copy_with(query=None, fragment=None))[:200]


def _parse(raw: str) -> httpx.URL:
    if len(raw) > MAX_URL_LENGTH:
        raise URLRefusedError(f"The URL is longer than {MAX_URL_LENGTH} characters; it was not fetched.")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw) or any(c.isspace() for c in raw):
        raise URLRefusedError("The URL contains spaces or control characters; it was not fetched.")
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise URLRefusedError("The URL is not valid; it was not fetched.") from None
    if url.scheme not in _DEFAULT_PORTS:
        raise URLRefusedError(f"Only http and https URLs are fetched, not {url.scheme or 'this'!r}.")
    if not url.host or "%" in url.host:
        raise URLRefusedError("The URL has no valid host; it was not fetched.")
    if url.userinfo:
        raise URLRefusedError("URLs with a user name or password in them are not fetched.")
    return url


def _literal(host: str) -> str | None:
    """``host`` as a canonical IP literal, None for a name; odd numeric forms are refused.

    ``2130706433``, ``0x7f.1`` or ``017.0.0.1`` mean 127.0.0.1 to some resolvers and not to
    others: rather than guess, only the canonical forms are taken as addresses.
    """
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    if ":" in host or all(_NUMERIC_LABEL.match(label) for label in labels):
        raise URLRefusedError("The URL's host is a numeric address in an unusual form; write it as a normal IP "
                              "address or a host name.")
    return None


class URLPolicy:
    """Checks URLs named by arguments. ``trusted`` origins skip the address check (Novita's own)."""

    def __init__(self, *, trusted: Iterable[str] = (), resolve: Resolver | None = None) -> None:
        self._trusted = frozenset(origin_of(u) for u in trusted)
        self._resolve = resolve or system_resolver

    def __repr__(self) -> str:
        return f"URLPolicy(trusted={sorted(self._trusted)!r})"

    def trust(self, url: str) -> None:
        """Also trust ``url``'s origin (another Novita host, learnt at run time)."""
        self._trusted = self._trusted | {origin_of(url)}

    def is_trusted(self, url: str | httpx.URL) -> bool:
        try:
            return origin_of(url) in self._trusted
        except (httpx.InvalidURL, ValueError, TypeError):
            return False

    async def check(self, raw: str | httpx.URL) -> Checked:
        """The URL and the address to use, or ``URLRefusedError`` saying why it is not fetched."""
        url = _parse(str(raw))
        if origin_of(url) in self._trusted:
            return Checked(url, None)
        literal = _literal(url.host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = await self._resolve(url.host, url.port or _DEFAULT_PORTS[url.scheme])
            except (OSError, UnicodeError):
                raise URLRefusedError(f"The host {url.host[:100]!r} could not be resolved; nothing was fetched.") \
                    from None
        if not addresses:
            raise URLRefusedError(f"The host {url.host[:100]!r} has no address; nothing was fetched.")
        if not all(is_public_address(a) for a in addresses):
            raise URLRefusedError(f"The host {url.host[:100]!r} is on a loopback, private, link-local or otherwise "
                                  "non-public address; the server does not fetch from those.")
        return Checked(url, addresses[0].split("%", 1)[0])


class PathPolicy:
    """Which local files a call may read: any on stdio; over HTTP only under ``files_dir``."""

    def __init__(self, files_dir: Path | None) -> None:
        self._root = Path(os.path.realpath(Path(files_dir).expanduser())) if files_dir is not None else None

    def refusal(self, name: str) -> str:
        where = ("only files under the directory the operator set in NOVITA_MCP_FILES_DIR are read"
                 if self._root is not None else "local files are not read (the operator can allow a directory with "
                 "NOVITA_MCP_FILES_DIR)")
        return (f"{name}: no file can be used from that path: over HTTP, {where}. Pass a public https URL or the "
                "data as base64 instead. Nothing was sent to Novita.")

    def resolve(self, raw: str, *, remote: bool) -> Path | None:
        """The path to open, or None when this call may not read it (refused or missing: one answer).

        Checked before anything is opened; the resolved path (symlinks followed) must stay under
        the allowed directory, so ``..`` and links out of it are refused.
        """
        if len(raw) > 4096 or "\x00" in raw:
            return None
        if not remote:
            path = Path(raw).expanduser()
            return path if path.is_file() else None
        if self._root is None:
            return None
        candidate = Path(raw)
        if raw.startswith("~"):
            return None
        joined = candidate if candidate.is_absolute() else self._root / candidate
        real = Path(os.path.realpath(joined))
        if not real.is_relative_to(self._root) or not real.is_file():
            return None
        return real
