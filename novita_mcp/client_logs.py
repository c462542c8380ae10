"""MCP logging: the server's own log records, forwarded to clients that ask for them.

A client (2025-11-25 revision) sends ``logging/setLevel``; from then on the records of the
``novita_mcp`` loggers at or above that level - retries and their backoff, refused or
failed calls - reach it as ``notifications/message``. Only the formatted message travels:
never a traceback, and log messages are written never to contain the API key (the tests
check every one). The stderr log is unaffected: its level stays ``--log-level``.

The 2026-07-28 revision retired this capability (SEP-2577); clients on it simply never
ask, and the relay then does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import OrderedDict
from typing import Any

from mcp import types
from mcp.shared.exceptions import MCPDeprecationWarning

__all__ = ["install", "RELAY", "ClientLogRelay"]

# MCP's syslog-style levels and the Python levels they correspond to.
MCP_LEVELS: dict[str, int] = {
    "debug": logging.DEBUG, "info": logging.INFO, "notice": 25, "warning": logging.WARNING,
    "error": logging.ERROR, "critical": logging.CRITICAL, "alert": 55, "emergency": 60,
}
ROOT = "novita_mcp"


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
        key = id(getattr(session, "_connection", session))
        self._sessions[key] = (session, threshold)
        self._sessions.move_to_end(key)
        while len(self._sessions) > self.MAX_SUBSCRIBERS:
            self._sessions.popitem(last=False)
        logger = logging.getLogger(ROOT)
        if logger.getEffectiveLevel() > threshold:
            logger.setLevel(threshold)  # let the records be created; stderr filters on its own handler

    def clear(self) -> None:
        """Forget every subscriber (a process that serves one client per run never needs this)."""
        self._sessions.clear()

    def emit(self, record: logging.LogRecord) -> None:
        if not self._sessions:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not on the event loop: nothing to send through
        message = record.getMessage()
        for key, (session, threshold) in list(self._sessions.items()):
            if record.levelno >= threshold:
                task = loop.create_task(self._send(key, session, _mcp_level(record.levelno), message, record.name))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _send(self, key: int, session: Any, level: str, message: str, logger: str) -> None:
        try:
            await session.send_log_message(level=level, data=message, logger=logger)
        except Exception:  # noqa: BLE001 - a gone client must not break logging (and logging it would recurse)
            self._sessions.pop(key, None)


RELAY = ClientLogRelay()


def install(server: Any) -> None:
    """Declare the logging capability on ``server`` and relay ``novita_mcp`` records to subscribers."""
    # Serving 2025-11-25 clients this way is deliberate; the SDK warns on every send that the
    # 2026-07-28 revision retired it.
    warnings.filterwarnings("ignore", message="The logging capability is deprecated", category=MCPDeprecationWarning)
    logger = logging.getLogger(ROOT)
    if RELAY not in logger.handlers:
        logger.addHandler(RELAY)

    async def set_level(ctx: Any, params: types.SetLevelRequestParams) -> types.EmptyResult:
        RELAY.subscribe(ctx.session, params.level)
        return types.EmptyResult()

    # MCPServer has no hook for this deprecated method; its low-level server does.
    server._lowlevel_server.add_request_handler("logging/setLevel", types.SetLevelRequestParams, set_level)
