"""Fault injection: make the sandbox fail the way a real network and API fail.

A rule matches requests by method and path prefix and fires ``times`` times (``None``:
forever). Kinds: ``rate_limit`` (429 with Retry-After), ``server_error`` (500),
``unavailable`` (503), ``bad_gateway`` (502), ``slow`` (answers after ``delay`` real
seconds), ``drop`` (the headers and part of the body are sent, then the connection closes;
over a socket that is a drop mid-body), ``malformed`` (a 200 whose body is not JSON),
``lost_answer`` (the request is carried out, then the connection drops before the answer: the
timeout-after-a-write case), and for file downloads ``forbidden`` (403, like an expired signed
link), ``not_found`` (404) and ``redirect`` (302 to ``location``). Rules also match the public
file URLs (``/files/``). ``skip`` lets that many matching requests through before the rule
fires (e.g. fail only the read that follows a write).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.responses import Response

__all__ = ["FaultRule", "FaultPlan", "FaultKind", "DroppedConnection", "file_fault_response"]

FaultKind = Literal["rate_limit", "server_error", "unavailable", "bad_gateway", "slow", "drop", "malformed",
                    "lost_answer", "forbidden", "not_found", "redirect"]


class DroppedConnection(Exception):
    """Raised by the app to close the connection without an answer."""


@dataclass
class FaultRule:
    kind: FaultKind
    path: str = "/"
    method: str | None = None
    times: int | None = 1
    retry_after: float | None = 1.0
    delay: float = 0.5
    skip: int = 0
    location: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return path.startswith(self.path) and (self.method is None or self.method.upper() == method)


def file_fault_response(rule: FaultRule) -> Response | None:
    """The answer for the kinds that imitate a file host (S3-style XML errors, a redirect)."""
    if rule.kind == "redirect":
        return Response(b"", status_code=302, headers={"Location": rule.location or "/"})
    if rule.kind in ("forbidden", "not_found"):
        status, code = (403, "AccessDenied") if rule.kind == "forbidden" else (404, "NoSuchKey")
        body = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code></Error>".encode()
        return Response(body, status_code=status, media_type="application/xml")
    return None


class FaultPlan:
    """The rules, plus ``latency``: real seconds every API request waits before it is served.

    Latency is what makes races visible: a guard that checks, awaits Novita and only then
    records lets concurrent calls through, and only a server that yields shows it.
    """

    def __init__(self, rules: list[FaultRule] | None = None, *, latency: float = 0.0) -> None:
        self.rules: list[FaultRule] = list(rules or [])
        self.latency = latency

    def add(self, rule: FaultRule) -> FaultRule:
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first matching rule, counting one use of it."""
        for rule in self.rules:
            if rule.matches(method, path):
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self.rules.remove(rule)
                return rule
        return None
