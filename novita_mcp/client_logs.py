"""MCP logging: the server's own log records, forwarded to clients that ask for them.

A client (2025-11-25 revision) sends ``logging/setLevel``; from then on the records of the
``novita_mcp`` loggers at or above that level reach it as ``notifications/message``:
retries and their backoff (info), calls refused because a tool is turned off (warning), and
every tool call that ended in an error - refused by the guard, declined by the user, failed
at Novita or inside the server (warning). Only the formatted message travels: never a
traceback, and log messages are written never to contain the API key (the tests check every
one). A record about one call goes only to the session that made it, so on a shared HTTP
server one client never reads another's arguments or errors. The stderr log is unaffected:
its level stays ``--log-level``.

The 2026-07-28 revision retired this capability (SEP-2577); clients on it simply never
ask, and the relay then does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mcp import types
from mcp.shared.exceptions import MCPDeprecationWarning

__all__ = ["install", "ClientLogRelay", "CallOutcomes", "SESSION_KEY"]

# MCP's syslog-style levels and the Python levels they correspond to.
MCP_LEVELS: dict[str, int] = {
    "debug": logging.DEBUG, "info": logging.INFO, "notice": 25, "warning": logging.WARNING,
    "error": logging.ERROR, "critical": logging.CRITICAL, "alert": 55, "emergency": 60,
}
ROOT = "novita_mcp"
# A record carrying this attribute (``extra={SESSION_KEY: session_key(session)}``) is sent to
# that one session only.
SESSION_KEY = "mcp_session_key"
_MAX_MESSAGE = 500

log = logging.getLogger("novita_mcp.tools")


def session_key(session: Any) -> int:
    """What identifies a client across its requests: the connection under the per-request proxy."""
    return id(getattr(session, "_connection", session))


def _mcp_level(levelno: int) -> str:
    name = "debug"
    for candidate, value in MCP_LEVELS.items():
        if levelno >= value:
            name = candidate
    return name


class ClientLogRelay(logging.Handler):
    """A logging handler that sends records to the sessions that subscribed, each at its level."""

    MAX_SUBSCRIBERS = 256

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        # The SDK's session object is a per-request proxy; what lasts is its connection. A
        # subscriber is kept by connection, with the proxy to send through (handshake-era
        # messages go on the connection's own channel), until a send fails or it is pushed out.
        self._sessions: OrderedDict[int, tuple[Any, int]] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    def subscribe(self, session: Any, level: str) -> None:
        threshold = MCP_LEVELS[level]
        key = session_key(session)
        self._sessions[key] = (session, threshold)
        self._sessions.move_to_end(key)
        while len(self._sessions) > self.MAX_SUBSCRIBERS:
            self._sessions.popitem(last=False)
        logger = logging.getLogger(ROOT)
        if logger.getEffectiveLevel() > threshold:
            logger.setLevel(threshold)  # let the records be created; stderr filters on its own handler

    def clear(self) -> None:
        """Forget every subscriber."""
        self._sessions.clear()

    @contextmanager
    def listening(self) -> Iterator[None]:
        """Relay ``novita_mcp`` records while the block runs (a server's lifespan), then forget
        its subscribers: each server has its own relay, so no state outlives the server."""
        logger = logging.getLogger(ROOT)
        logger.addHandler(self)
        try:
            yield
        finally:
            logger.removeHandler(self)
            self.clear()

    def emit(self, record: logging.LogRecord) -> None:
        if not self._sessions:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not on the event loop: nothing to send through
        message = record.getMessage()
        only = getattr(record, SESSION_KEY, None)
        for key, (session, threshold) in list(self._sessions.items()):
            if record.levelno >= threshold and (only is None or only == key):
                task = loop.create_task(self._send(key, session, _mcp_level(record.levelno), message, record.name))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _send(self, key: int, session: Any, level: str, message: str, logger: str) -> None:
        try:
            await session.send_log_message(level=level, data=message, logger=logger)
        except Exception:  # noqa: BLE001 - a gone client must not break logging (and logging it would recurse)
            self._sessions.pop(key, None)


def _error_text(result: Any) -> str | None:
    """The text of a tool result that is an error, or None."""
    if isinstance(result, dict):
        is_error, content = result.get("isError"), result.get("content") or []
    else:
        is_error, content = getattr(result, "is_error", False), getattr(result, "content", None) or []
    if not is_error:
        return None
    texts = [block.get("text") if isinstance(block, dict) else getattr(block, "text", None) for block in content]
    text = " ".join(" ".join(t.split()) for t in texts if t)
    return text[:_MAX_MESSAGE] + ("..." if len(text) > _MAX_MESSAGE else "")


class CallOutcomes:
    """MCP middleware: a tool call that ends in an error becomes a warning for its caller's log.

    Refusals (guard, budgets, read-only), declined confirmations, Novita's errors and internal
    failures all end as error results; this is the one place that sees every one of them.
    """

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        result = await call_next(ctx)
        if ctx.method == "tools/call" and isinstance(ctx.params, dict):
            text = _error_text(result)
            if text is not None:
                name = ctx.params.get("name")
                name = name if isinstance(name, str) else "a tool"
                text = text.removeprefix(f"Error executing tool {name}: ")  # the SDK's wrapping, said once
                log.warning("%s did not run to completion: %s", name, text,
                            extra={SESSION_KEY: session_key(ctx.session)})
        return result


def install(server: Any, relay: ClientLogRelay) -> None:
    """Declare the logging capability on ``server``; ``logging/setLevel`` subscribes the caller to
    ``relay`` (which the server's lifespan attaches: ``ClientLogRelay.listening``)."""
    # Serving 2025-11-25 clients this way is deliberate; the SDK warns on every send that the
    # 2026-07-28 revision retired it.
    warnings.filterwarnings("ignore", message="The logging capability is deprecated", category=MCPDeprecationWarning)
    server.middleware.append(CallOutcomes())

    async def set_level(ctx: Any, params: types.SetLevelRequestParams) -> types.EmptyResult:
        relay.subscribe(ctx.session, params.level)
        return types.EmptyResult()

    # MCPServer has no hook for this deprecated method; its low-level server does.
    server._lowlevel_server.add_request_handler("logging/setLevel", types.SetLevelRequestParams, set_level)
