"""The streamable HTTP transport: the ASGI app around the MCP server, and a safe way to serve it.

Two protections, both on by default:

- DNS rebinding: the SDK's Host/Origin check, always configured here (the SDK only turns it
  on by itself for three spellings of localhost). Local binds accept local Host headers;
  ``--allow-host`` adds the public names a reverse proxy forwards.
- A bearer token (``NOVITA_MCP_HTTP_TOKEN``): required for any non-loopback bind, checked
  on every request in constant time, never logged.
"""

from __future__ import annotations

import errno
import hmac
import ipaddress
import logging
import socket
import sys
from collections.abc import Sequence
from typing import Any

from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["MCP_PATH", "BearerTokenMiddleware", "HTTPSetupError", "build_http_app", "bind_socket", "is_loopback",
           "security_settings", "serve_http"]

log = logging.getLogger("novita_mcp.http")

MCP_PATH = "/mcp"
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


class HTTPSetupError(Exception):
    """A one-line reason the HTTP server cannot start (bad bind, busy port, missing token)."""


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach: ``localhost``, 127.0.0.0/8, ``::1``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_pattern(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def security_settings(host: str, allowed_hosts: Sequence[str] = ()) -> TransportSecuritySettings:
    """Host/Origin allow-lists for DNS rebinding protection.

    A non-loopback bind without ``allowed_hosts`` cannot know the names clients will use,
    so the Host check is off there and the mandatory bearer token is the protection: a page
    that rebinds a name to this server never holds the token.
    """
    names = list(_LOCAL_HOSTS)
    if is_loopback(host) and _host_pattern(host) not in names:
        names.append(_host_pattern(host))
    names += [_host_pattern(h) for h in allowed_hosts]
    if not is_loopback(host) and not allowed_hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    hosts = [pattern for name in names for pattern in (name, f"{name}:*")]
    origins = [f"{scheme}://{pattern}" for scheme in ("http", "https") for pattern in hosts]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                     allowed_origins=origins)


class BearerTokenMiddleware:
    """Answers 401 to any HTTP request without ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        presented = b""
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                presented = value
                break
        if hmac.compare_digest(presented, self._expected):
            await self.app(scope, receive, send)
            return
        body = b'{"error":"unauthorized","error_description":"send Authorization: Bearer <NOVITA_MCP_HTTP_TOKEN>"}'
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", b'Bearer realm="novita-mcp"'),
        ]})
        await send({"type": "http.response.body", "body": body})


def build_http_app(
    server: Any, *, host: str, token: str | None, stateless: bool = False, allowed_hosts: Sequence[str] = ()
) -> ASGIApp:
    """The ASGI app serving ``server`` at ``/mcp``, behind the rebinding check and the token."""
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=stateless,
        transport_security=security_settings(host, allowed_hosts),
        host=host,
    )
    return BearerTokenMiddleware(app, token) if token else app


def bind_socket(host: str, port: int) -> socket.socket:
    """Listen on ``host:port`` now, so a busy port or a bad address is a clear error, not a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is not "busy"
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
    except socket.gaierror:
        sock.close()
        raise HTTPSetupError(f"cannot listen on {host}:{port}: unknown host {host!r}") from None
    except OSError as exc:
        sock.close()
        reason = "the port is already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise HTTPSetupError(f"cannot listen on {host}:{port}: {reason}") from None
    sock.set_inheritable(True)
    return sock


def serve_http(
    server: Any, *, host: str, port: int, token: str | None, stateless: bool = False,
    allowed_hosts: Sequence[str] = (),
) -> None:
    """Serve until interrupted. Raises HTTPSetupError before listening when the setup is unsafe or impossible."""
    import uvicorn

    if not is_loopback(host) and not token:
        raise HTTPSetupError(f"binding {host} exposes the server beyond this machine; set NOVITA_MCP_HTTP_TOKEN "
                             "to a long random secret (clients send it as 'Authorization: Bearer ...'), "
                             "or bind 127.0.0.1")
    sock = bind_socket(host, port)
    try:
        if not is_loopback(host) and not allowed_hosts:
            log.warning("Host-header check off for %s without --allow-host; the bearer token guards /mcp", host)
        app = build_http_app(server, host=host, token=token, stateless=stateless, allowed_hosts=allowed_hosts)
        mode = "stateless" if stateless else "stateful"
        auth = "bearer token required" if token else "no token: local clients only"
        print(f"novita-mcp: serving MCP on http://{_host_pattern(host)}:{port}{MCP_PATH} ({mode}; {auth})",
              file=sys.stderr, flush=True)
        config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=3)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
