"""What the first calls pay for the fast start, in a fresh process (run by bench.py).

A tool's module, the client domain it uses and its SDK Tool are built on its first call, and
the network transport (TLS context) on the first request to Novita. With ``--built`` every
tool is built before the first call (as start-up did before), for comparison. Prints JSON.
"""

import json
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx
from mcp import Client

from novita_mcp.hooks import Hooks
from novita_mcp.sandbox import Sandbox
from novita_mcp.server import build_server
from novita_mcp.settings import Settings

CALLS = [("get_balance", {}), ("list_gpu_products", {"gpus": 1}), ("chat", {"model": "deepseek/deepseek-v3.2", "messages": [{"role": "user", "content": "hi"}]})]


async def main() -> None:
    sandbox = Sandbox()
    settings = Settings(api_key=sandbox.api_key, base_url=sandbox.base_url, state_dir=Path(tempfile.mkdtemp()))
    server = build_server(settings, sandbox.transport(), hooks=Hooks(clock=sandbox.clock.now))
    if "--built" in sys.argv:
        for tool in server._tool_manager.list_tools():  # noqa: SLF001 - reading a call-time field builds it
            tool.fn_metadata  # noqa: B018
    out: dict[str, list[float]] = {}
    async with Client(server) as client:
        for name, args in CALLS:
            times = []
            for _ in range(3):
                start = time.perf_counter()
                await client.call_tool(name, args)
                times.append((time.perf_counter() - start) * 1000)
            out[name] = times
    start = time.perf_counter()
    httpx.AsyncHTTPTransport()
    out["tls_transport"] = [(time.perf_counter() - start) * 1000]
    json.dump(out, sys.stdout)


anyio.run(main)
