"""The streamable HTTP transport, for real: `novita-mcp --sandbox --transport http` in a subprocess.

Readiness comes from the server's own "serving MCP on" line (printed after the socket listens),
so nothing polls; every wait is bounded by ``anyio.fail_after`` and every process is killed in
``finally``.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from anyio.abc import Process
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from novita_mcp.http_app import is_loopback, security_settings
from novita_mcp.sandbox import SEED_BALANCE_USD

pytestmark = pytest.mark.anyio

TOKEN = "http-token-DO-NOT-LEAK-7c1e9b"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOVITA_")}
    env.update({"NOVITA_MCP_STATE_DIR": str(tmp_path / "state"), **extra})
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "novita_mcp", "--sandbox", "--transport", "http", *args]


class Served:
    def __init__(self, process: Process, port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}/mcp"
        self.stderr = bytearray()


@asynccontextmanager
async def serving(tmp_path: Path, *args: str, **env: str) -> AsyncIterator[Served]:
    port = free_port()
    process = await anyio.open_process(command("--port", str(port), *args), env=server_env(tmp_path, **env))
    served = Served(process, port)
    ready = anyio.Event()

    async def drain() -> None:
        assert process.stderr is not None
        async for chunk in process.stderr:
            served.stderr += chunk
            if b"serving MCP on" in served.stderr:
                ready.set()
        ready.set()  # the process ended; the assertion below says why

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(drain)
            with anyio.fail_after(30):
                await ready.wait()
            assert b"serving MCP on" in served.stderr, served.stderr.decode()
            yield served
            tg.cancel_scope.cancel()
    finally:
        if process.returncode is None:
            process.kill()
        with anyio.move_on_after(10, shield=True):
            await process.wait()


async def run_cli(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    with anyio.fail_after(30):
        done = await anyio.run_process(command(*args), env=server_env(tmp_path, **env), check=False)
    return done.returncode, done.stderr.decode()


async def test_a_read_tool_is_called_over_http_against_the_sandbox(tmp_path: Path) -> None:
    async with serving(tmp_path) as served:
        with anyio.fail_after(30):
            async with Client(served.url) as client:
                names = {t.name for t in (await client.list_tools()).tools}
                result = await client.call_tool("get_balance", {})
    assert "get_balance" in names
    assert not result.is_error
    assert Decimal(str(result.structured_content["available_usd"])) == SEED_BALANCE_USD


async def test_stateless_mode_serves_tool_calls_without_a_session(tmp_path: Path) -> None:
    async with serving(tmp_path, "--stateless") as served:
        with anyio.fail_after(30):
            async with Client(served.url) as client:
                result = await client.call_tool("get_balance", {})
    assert not result.is_error
    assert b"stateless" in served.stderr


async def test_with_a_token_requests_without_it_get_401_and_the_token_is_never_logged(tmp_path: Path) -> None:
    async with serving(tmp_path, "--log-level", "DEBUG", NOVITA_MCP_HTTP_TOKEN=TOKEN) as served:
        with anyio.fail_after(30):
            async with httpx.AsyncClient() as http:
                missing = await http.post(served.url, json=INIT, headers=MCP_HEADERS)
                wrong = await http.post(served.url, json=INIT, headers={**MCP_HEADERS, "authorization": "Bearer nope"})
                bare = await http.post(served.url, json=INIT, headers={**MCP_HEADERS, "authorization": TOKEN})
            authed = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"})
            async with Client(streamable_http_client(served.url, http_client=authed)) as client:
                result = await client.call_tool("get_balance", {})
    assert [missing.status_code, wrong.status_code, bare.status_code] == [401, 401, 401]
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert TOKEN not in missing.text
    assert not result.is_error
    assert TOKEN.encode() not in served.stderr


async def test_a_request_with_a_foreign_host_header_is_refused(tmp_path: Path) -> None:
    async with serving(tmp_path) as served:
        with anyio.fail_after(30):
            async with httpx.AsyncClient() as http:
                rebound = await http.post(served.url, json=INIT, headers={**MCP_HEADERS, "host": "evil.example"})
                foreign_origin = await http.post(served.url, json=INIT,
                                                 headers={**MCP_HEADERS, "origin": "http://evil.example"})
                local = await http.post(served.url, json=INIT, headers=MCP_HEADERS)
    assert rebound.status_code == 421
    assert foreign_origin.status_code == 403
    assert local.status_code == 200


def assert_one_line(stderr: str, *fragments: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0]


async def test_a_non_local_bind_without_a_token_exits_with_one_line(tmp_path: Path) -> None:
    code, stderr = await run_cli(tmp_path, "--host", "0.0.0.0", "--port", str(free_port()))
    assert code != 0
    assert_one_line(stderr, "NOVITA_MCP_HTTP_TOKEN", "0.0.0.0")


async def test_an_occupied_port_exits_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        code, stderr = await run_cli(tmp_path, "--port", str(port))
    assert code != 0
    assert_one_line(stderr, f"127.0.0.1:{port}", "already in use")


@pytest.mark.parametrize("port", ["0", "70000"])
async def test_a_port_out_of_range_exits_with_one_line(tmp_path: Path, port: str) -> None:
    code, stderr = await run_cli(tmp_path, "--port", port)
    assert code != 0
    assert_one_line(stderr, "--port")


def test_loopback_addresses_are_recognised_and_others_are_not() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.5", "example.com"))


def test_rebinding_protection_is_on_for_local_binds_and_for_named_public_hosts() -> None:
    local = security_settings("127.0.0.1")
    assert local.enable_dns_rebinding_protection
    assert "localhost:*" in local.allowed_hosts and "evil.example:*" not in local.allowed_hosts
    named = security_settings("0.0.0.0", ["mcp.example.com"])
    assert named.enable_dns_rebinding_protection
    assert {"mcp.example.com", "mcp.example.com:*"} <= set(named.allowed_hosts)
    assert "https://mcp.example.com" in named.allowed_origins
    # A public bind with no names relies on the mandatory token instead.
    assert not security_settings("0.0.0.0").enable_dns_rebinding_protection
