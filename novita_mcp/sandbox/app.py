"""The sandbox as one ASGI app: auth per family, request log, faults, then the domains."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import anyio
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from novita_mcp.sandbox.errors import SandboxError, error_response, family_of
from novita_mcp.sandbox.faults import DroppedConnection, FaultPlan, FaultRule, file_fault_response
from novita_mcp.sandbox.state import RequestRecord, SandboxState

__all__ = ["build_app", "SandboxTransport", "PUBLIC_PREFIXES"]

# Generated media are served like Novita's signed URLs: no Authorization header needed.
PUBLIC_PREFIXES = ("/files/",)
ADMIN_PREFIX = "/_sandbox/"


def _domain_factories() -> list[Callable[[SandboxState], Any]]:
    """Every sandbox domain, in routing order. A new domain adds one import and one name here."""
    from novita_mcp.sandbox.billing import BillingDomain
    from novita_mcp.sandbox.dedicated import DedicatedDomain
    from novita_mcp.sandbox.gpu_catalog import CatalogDomain
    from novita_mcp.sandbox.gpu_instances import InstancesDomain
    from novita_mcp.sandbox.gpu_resources import ResourcesDomain
    from novita_mcp.sandbox.llm import LLMDomain
    from novita_mcp.sandbox.llm_batch import LLMBatchDomain
    from novita_mcp.sandbox.media import MediaDomain
    from novita_mcp.sandbox.network import NetworkDomain
    from novita_mcp.sandbox.serverless import ServerlessDomain
    from novita_mcp.sandbox.training import TrainingDomain

    return [
        BillingDomain, CatalogDomain, InstancesDomain, ResourcesDomain, LLMDomain, LLMBatchDomain,
        ServerlessDomain, DedicatedDomain, NetworkDomain, TrainingDomain, MediaDomain
    ]


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class _Gate:
    """ASGI wrapper: settle the domains, log the request, inject faults, check the key."""

    def __init__(self, app: ASGIApp, state: SandboxState, faults: FaultPlan) -> None:
        self.app = app
        self.state = state
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.state
        path: str = scope["path"]
        method: str = scope["method"]
        body = await _read_body(receive)
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = body[:200].decode("utf-8", "replace")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        record = RequestRecord(method=method, path=path, query=query, body=parsed, at=state.now())
        state.requests.append(record)

        replayed = False

        async def replay() -> Message:
            # The body once; after that the real channel (a streaming response waits on it for the
            # disconnect, and would spin forever if it kept getting the body back).
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        if not path.startswith(ADMIN_PREFIX):
            if self.faults.latency > 0 and not path.startswith(PUBLIC_PREFIXES):
                await anyio.sleep(self.faults.latency)
            rule = self.faults.take(method, path)
            if rule is not None:
                handled = await self._fault(rule, scope, send_logged)
                if handled:
                    return
        if not path.startswith(PUBLIC_PREFIXES):
            denied = self._check_auth(path, scope)
            if denied is not None:
                await denied(scope, replay, send_logged)
                return
        state.settle()
        await self.app(scope, replay, send_logged)

    async def _lose_answer(self, scope: Scope, send: Send) -> bool:
        """Carry the request out, then drop the connection instead of answering."""
        if self._check_auth(scope["path"], scope) is not None:
            return False  # an unauthorised request is refused as usual
        record = self.state.requests[-1]
        body = record.body

        async def receive() -> Message:
            raw = json.dumps(body).encode() if isinstance(body, dict | list) else b""
            return {"type": "http.request", "body": raw, "more_body": False}

        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]

        self.state.settle()
        await self.app(scope, receive, swallow)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")]})
        await send({"type": "http.response.body", "body": b'{"partial":', "more_body": True})
        raise DroppedConnection("answer lost after the request was carried out (fault injection)")

    def _check_auth(self, path: str, scope: Scope) -> Response | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        auth = headers.get("authorization", "")
        family = family_of(path)
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not token:
            reason, message = {
                "media": ("MISSING_API_KEY", "missing api key"),
                "llm": ("FAILED_TO_AUTH", "failed to auth: missing api key"),
            }.get(family, ("UNAUTHORIZED", "unauthorized"))
            return error_response(family, reason, message)
        if token != self.state.api_key:
            if family in ("media", "llm"):
                return error_response(family, "INVALID_API_KEY", "invalid api-key")
            return error_response(family, "UNAUTHORIZED", "invalid token")
        return None

    async def _fault(self, rule: FaultRule, scope: Scope, send: Send) -> bool:
        family = family_of(scope["path"])
        response: Response
        if rule.kind == "slow":
            await anyio.sleep(rule.delay)
            return False
        if rule.kind == "lost_answer":
            return await self._lose_answer(scope, send)
        if rule.kind == "drop":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")]})
            await send({"type": "http.response.body", "body": b'{"partial":', "more_body": True})
            raise DroppedConnection("connection dropped by fault injection")
        file_response = file_fault_response(rule)
        if file_response is not None:
            response = file_response
        elif rule.kind == "malformed":
            response = Response(b'{"this is": not json', status_code=200, media_type="application/json")
        elif rule.kind == "rate_limit":
            headers = {} if rule.retry_after is None else {"Retry-After": f"{rule.retry_after:g}"}
            response = error_response(family, "RATE_LIMIT_EXCEEDED", "rate limit exceeded", status=429, headers=headers)
        else:
            status = {"server_error": 500, "unavailable": 503, "bad_gateway": 502}[rule.kind]
            reason = {500: "UNKNOWN", 503: "SERVICE_UNAVAILABLE", 502: "BAD_GATEWAY"}[status]
            response = error_response(family, reason, "upstream failure (injected)", status=status)
        await response(scope, _empty_receive, send)
        return True


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _admin_routes(state: SandboxState, faults: FaultPlan) -> list[Route]:
    """A small control API so a sandbox in another process can be driven by tests and demos."""

    async def advance(request: Request) -> JSONResponse:
        body = await request.json()
        state.advance(float(body.get("seconds", 0)))
        return JSONResponse({"now": state.now()})

    async def add_fault(request: Request) -> JSONResponse:
        body = await request.json()
        try:
            rule = faults.add(FaultRule(**body))
        except TypeError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"added": rule.kind})

    async def top_up(request: Request) -> JSONResponse:
        body = await request.json()
        state.top_up(str(body.get("usd", "0")))
        return JSONResponse({"balance_usd": str(state.balance_usd)})

    async def requests_log(request: Request) -> JSONResponse:
        return JSONResponse([{"method": r.method, "path": r.path, "status": r.status} for r in state.requests[-200:]])

    return [
        Route(ADMIN_PREFIX + "clock/advance", advance, methods=["POST"]),
        Route(ADMIN_PREFIX + "faults", add_fault, methods=["POST"]),
        Route(ADMIN_PREFIX + "top-up", top_up, methods=["POST"]),
        Route(ADMIN_PREFIX + "requests", requests_log, methods=["GET"]),
    ]


async def _sandbox_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SandboxError)
    return exc.response()


async def _not_found(request: Request, exc: Exception) -> Response:
    family = family_of(request.url.path)
    reason = {"media": "API_NOT_FOUND", "llm": "NOT_FOUND", "dedicated": "NOT_FOUND"}.get(family, "RESOURCE_NOT_FOUND")
    return error_response(family, reason, f"no route for {request.method} {request.url.path}", status=404)


def build_app(state: SandboxState, faults: FaultPlan) -> ASGIApp:
    """Assemble the domains into one app; each domain is stored on ``state.domains``."""
    routes: list[Any] = []
    for factory in _domain_factories():
        domain = factory(state)
        state.domains[domain.name] = domain
        routes.extend(domain.routes)
    routes.extend(_admin_routes(state, faults))
    app = Starlette(
        routes=routes,
        exception_handlers={SandboxError: _sandbox_error, 404: _not_found, 405: _not_found},
    )
    return _Gate(app, state, faults)


class SandboxTransport(httpx.ASGITransport):
    """In-process transport to the sandbox that fails the way a socket would.

    A dropped connection becomes ``httpx.RemoteProtocolError``; the request's read timeout
    is enforced (a plain ASGI transport ignores timeouts).
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = (request.extensions.get("timeout") or {}).get("read")
        try:
            if timeout is None:
                return await super().handle_async_request(request)
            with anyio.fail_after(timeout):
                return await super().handle_async_request(request)
        except DroppedConnection:
            raise httpx.RemoteProtocolError("Server disconnected without sending a complete response.",
                                            request=request) from None
        except TimeoutError:
            raise httpx.ReadTimeout("The sandbox did not answer in time.", request=request) from None
