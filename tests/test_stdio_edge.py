"""The stdio edge answers every line: the real server in a subprocess, and the judge on its own.

Without the edge, the SDK's stdio transport drops unparseable lines, batch arrays and requests
nested deeper than ~200 levels without a reply (docs/upstream-stdio-parse-errors.md).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest

from novita_mcp.stdio_edge import MAX_DEPTH, judge

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


class Wire:
    def __init__(self, process: Any) -> None:
        self.process = process
        self.buffer = b""

    async def send(self, line: str | dict[str, Any]) -> None:
        text = line if isinstance(line, str) else json.dumps(line)
        await self.process.stdin.send(text.encode() + b"\n")

    async def receive(self) -> dict[str, Any]:
        with anyio.fail_after(15):
            while b"\n" not in self.buffer:
                self.buffer += await self.process.stdout.receive()
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)


@pytest.mark.anyio
async def test_the_stdio_server_answers_bad_lines_and_stays_alive(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOVITA_")}
    env["NOVITA_MCP_STATE_DIR"] = str(tmp_path / "state")
    process = await anyio.open_process([sys.executable, "-m", "novita_mcp", "--sandbox"], env=env)
    try:
        wire = Wire(process)
        await wire.send(INIT)
        assert (await wire.receive())["id"] == 1
        await wire.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

        deep = "[" * 300 + "]" * 300
        await wire.send('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_balance",'
                        f'"arguments":{{"x":{deep}}}}}}}')
        nested = await wire.receive()
        assert nested["id"] == 2 and nested["error"]["code"] == -32600

        await wire.send('{"jsonrpc":"2.0","id":3,"method":"ping","params":' + "[" * 100_000 + "]" * 100_000 + "}")
        very_deep = await wire.receive()
        assert very_deep["id"] == 3 and very_deep["error"]["code"] == -32600

        await wire.send("this is not json {")
        garbage = await wire.receive()
        assert garbage["id"] is None and garbage["error"]["code"] == -32700

        await wire.send('[{"jsonrpc":"2.0","id":4,"method":"ping"}]')
        batch = await wire.receive()
        assert batch["id"] is None and batch["error"]["code"] == -32600

        await wire.send('{"jsonrpc":"2.0","id":5}')
        invalid = await wire.receive()
        assert invalid["id"] == 5 and invalid["error"]["code"] == -32600

        await wire.send({"jsonrpc": "2.0", "id": 6, "method": "tools/call",
                         "params": {"name": "get_balance", "arguments": {}}})
        alive = await wire.receive()
        assert alive["id"] == 6 and "$50.00" in alive["result"]["content"][0]["text"]
    finally:
        process.kill()
        await process.aclose()


@pytest.mark.parametrize(("line", "code", "id_"), [
    ("{", types.PARSE_ERROR, None),
    ('{"jsonrpc":"2.0","id":1,"method":"ping"', types.PARSE_ERROR, None),
    ("[]", types.INVALID_REQUEST, None),
    ('[{"jsonrpc":"2.0","id":1,"method":"ping"}]', types.INVALID_REQUEST, None),
    ("42", types.INVALID_REQUEST, None),
    ('{"jsonrpc":"1.0","id":"a","method":"ping"}', types.INVALID_REQUEST, "a"),
    ('{"jsonrpc":"2.0","id":true,"method":"ping"}', types.INVALID_REQUEST, None),
    ('{"id":9,"jsonrpc":"2.0","method":"x","params":' + "{\"a\":" * 80 + "1" + "}" * 80 + "}",
     types.INVALID_REQUEST, 9),
    ('{"jsonrpc":"2.0","params":' + "[" * 80 + "]" * 80 + ',"id":"late","method":"x"}', types.INVALID_REQUEST, "late"),
])
def test_bad_lines_get_the_json_rpc_error_and_the_id_when_it_can_be_read(line: str, code: int, id_: Any) -> None:
    error = judge(line)
    assert error is not None and error.error.code == code and error.id == id_


def test_good_messages_pass_untouched_even_with_long_strings() -> None:
    big = "A" * 2_000_000
    assert judge(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                             "params": {"name": "edit_image", "arguments": {"image": big, "s": "[[[{{{"}}})) is None
    assert judge('{"jsonrpc":"2.0","method":"notifications/initialized"}') is None
    assert judge(json.dumps({"jsonrpc": "2.0", "id": 1, "params": {"x": [[[1]]]}, "method": "a"})) is None
    nested_ok = '{"jsonrpc":"2.0","id":1,"method":"x","params":' + '{"a":' * (MAX_DEPTH - 2) + "1" + "}" * (MAX_DEPTH - 2) + "}"
    assert judge(nested_ok) is None
