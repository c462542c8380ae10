"""The stdio edge: every line gets an answer, before the MCP SDK sees it.

The SDK's stdio transport (mcp 2.3, ``mcp/server/stdio.py``) hands a line it cannot parse or
validate to the session as an exception, and the session only logs it at debug level: the
client gets no reply. That covers garbage lines, JSON-RPC batch arrays, objects that are not
JSON-RPC, and any request nested deeper than pydantic-core's JSON recursion limit (~200) - the
caller of such a request waits forever. See ``docs/upstream-stdio-parse-errors.md``.

Here each line is read with a size bound and judged first, as JSON-RPC 2.0 says:

* not JSON (or not UTF-8 text)         -> -32700 Parse error, id null;
* nested deeper than ``MAX_DEPTH``     -> -32600 Invalid Request, with the request's id when
                                          it can be read from the top level without parsing;
* a batch array, or not a JSON-RPC message -> -32600, with the id when there is one;
* longer than ``MAX_LINE_BYTES``       -> -32600, id null (the rest of the line is skipped).

Good lines go on to the SDK unchanged. Replies go out through the SDK's own writer, so they
never interleave with its frames; nothing else is written to stdout.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import AsyncIterator
from typing import Any, BinaryIO

import anyio
import anyio.to_thread
import mcp_types as types
from mcp.shared.message import SessionMessage

__all__ = ["EdgeGuard", "judge", "serve_stdio", "MAX_DEPTH", "MAX_LINE_BYTES"]

log = logging.getLogger("novita_mcp.stdio")

MAX_DEPTH = 64
# Inline media (base64 images and audio up to ~25 MB) must fit; anything larger is not a tool call.
MAX_LINE_BYTES = 64 * 1024 * 1024
_DRAIN_CHUNK = 1024 * 1024
# Strings (unrolled, so megabytes of base64 are one fast match), punctuation, and bare scalars.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}:,]|[^\s\[\]{}:,"]+')


def _error(code: int, message: str, id_: Any = None) -> types.JSONRPCError:
    return types.JSONRPCError(jsonrpc="2.0", id=id_, error=types.ErrorData(code=code, message=message))


def _valid_id(value: Any) -> Any:
    if isinstance(value, bool):
        return None
    return value if isinstance(value, (str, int)) else None


def _scan(line: str) -> tuple[int, Any]:
    """(deepest nesting, the top-level "id" when it is a plain scalar) without building anything."""
    depth = deepest = 0
    key: str | None = None
    expect_value = False
    found: Any = None
    for match in _TOKEN.finditer(line):
        token = match.group()
        if token in "[{":
            if depth == 1 and expect_value:
                expect_value = False
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
        elif depth == 1:
            if token == ":":
                expect_value = key == "id"
            elif token == ",":
                key, expect_value = None, False
            elif expect_value:
                try:
                    found = _valid_id(json.loads(token))
                except ValueError:
                    found = None
                expect_value = False
            elif token.startswith('"'):
                try:
                    key = json.loads(token)
                except ValueError:
                    key = None
    return deepest, found


def judge(line: str, *, max_depth: int = MAX_DEPTH) -> types.JSONRPCError | None:
    """The error reply for a line the SDK would drop silently; None when the line is fine."""
    deepest, found_id = _scan(line)
    if deepest > max_depth:
        return _error(types.INVALID_REQUEST, f"Invalid Request: the message is nested deeper than {max_depth} levels.",
                      found_id)
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        return _error(types.PARSE_ERROR, "Parse error: the line is not valid JSON.")
    if isinstance(message, list):
        return _error(types.INVALID_REQUEST, "Invalid Request: JSON-RPC batches are not supported by MCP; send one "
                                             "message per line.")
    if not isinstance(message, dict):
        return _error(types.INVALID_REQUEST, "Invalid Request: a JSON-RPC message is a JSON object.")
    if "id" in message and _valid_id(message["id"]) is None:
        # MCP ids are strings or integers; the SDK would take {"id": true, "method": ...} for a
        # notification and never answer it.
        return _error(types.INVALID_REQUEST, "Invalid Request: an id must be a string or an integer.")
    try:
        types.jsonrpc_message_adapter.validate_python(message, by_name=False)
    except ValueError:
        answer_to = _valid_id(message.get("id")) if "result" not in message and "error" not in message else None
        return _error(types.INVALID_REQUEST, "Invalid Request: not a valid JSON-RPC 2.0 message (it needs "
                                             '"jsonrpc": "2.0" and a method, or a result or error).', answer_to)
    return None


class EdgeGuard:
    """An async iterable of good lines over a binary stream; bad lines are answered, not passed on.

    ``source`` is a blocking binary file (``sys.stdin.buffer``); each bounded ``readline`` runs in
    a worker thread, as the SDK's own reader does.
    """

    def __init__(self, source: BinaryIO, *, max_bytes: int = MAX_LINE_BYTES, max_depth: int = MAX_DEPTH) -> None:
        self._source = source
        self._max_bytes = max_bytes
        self._max_depth = max_depth
        self._writer: Any = None
        self._ready = anyio.Event()

    def attach(self, write_stream: Any) -> None:
        """Where replies go: the SDK's own outgoing stream (one writer, whole frames)."""
        self._writer = write_stream
        self._ready.set()

    async def _reply(self, error: types.JSONRPCError) -> None:
        log.warning("answered a bad stdio message with %s: %s", error.error.code, error.error.message)
        await self._ready.wait()
        await self._writer.send(SessionMessage(error))

    async def _skip_rest_of_line(self) -> None:
        while True:
            chunk = await anyio.to_thread.run_sync(self._source.readline, _DRAIN_CHUNK)
            if not chunk or chunk.endswith(b"\n"):
                return

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        while True:
            raw: bytes = await anyio.to_thread.run_sync(self._source.readline, self._max_bytes + 1)
            if not raw:
                return
            if len(raw) > self._max_bytes and not raw.endswith(b"\n"):
                await self._skip_rest_of_line()
                await self._reply(_error(types.INVALID_REQUEST, f"Invalid Request: the message is larger than "
                                                                f"{self._max_bytes // (1024 * 1024)} MB."))
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                await self._reply(_error(types.PARSE_ERROR, "Parse error: the line is not UTF-8 text."))
                continue
            if not line.strip():
                continue
            error = judge(line, max_depth=self._max_depth)
            if error is not None:
                await self._reply(error)
                continue
            yield line


async def serve_stdio(server: Any, *, stdin: Any = None) -> None:
    """Run ``server`` (an MCPServer) over stdio with the edge guard in front of the SDK's reader.

    stdout is still claimed by the SDK (stray prints go to stderr); stdin is read here.
    """
    from mcp.server.stdio import stdio_server

    guard = EdgeGuard(stdin or sys.stdin.buffer)
    async with stdio_server(stdin=guard) as (read_stream, write_stream):  # type: ignore[arg-type]  # EdgeGuard is file-like, not the SDK's stream type
        guard.attach(write_stream)
        # The SDK's own stdio runner and in-memory client reach the low-level server the same way.
        lowlevel = server._lowlevel_server  # noqa: SLF001
        await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())
