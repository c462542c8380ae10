"""Speed and memory of novita-mcp, each against a baseline measured in the same run.

    python benchmarks/bench.py [--runs 7] [--calls 300]

1. Cold start to the first tools/list over stdio: `novita-mcp --sandbox --toolsets all`
   vs a bare MCPServer with one tool (ratio), plus each server's resident memory after it.
2. Median round trip of the get_balance tool through MCP (in-memory client -> server ->
   our client -> sandbox app) vs a direct httpx call to the same sandbox endpoint (ratio).
Prints figures only; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx
from mcp import Client, StdioServerParameters

HERE = Path(__file__).resolve().parent


def _rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _child_pids() -> set[int]:
    me = os.getpid()
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().split(")")[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == me:
                found.add(int(entry.name))
    return found


async def _cold_start(args: list[str], env: dict[str, str]) -> tuple[float, int | None]:
    params = StdioServerParameters(command=sys.executable, args=args, env=env)
    before = _child_pids()
    start = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        elapsed = time.perf_counter() - start
        new = _child_pids() - before
        rss = max((_rss_kib(p) or 0 for p in new), default=None)
    return elapsed, rss


async def bench_cold_start(runs: int) -> None:
    state = tempfile.mkdtemp()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": state, "NOVITA_MCP_STATE_DIR": state}
    ours_args = ["-m", "novita_mcp", "--sandbox", "--toolsets", "all"]
    bare_args = [str(HERE / "_bare_server.py")]
    ours, bare, ours_mem, bare_mem = [], [], [], []
    await _cold_start(bare_args, env)  # warm the OS file cache for both
    await _cold_start(ours_args, env)
    for _ in range(runs):
        t, m = await _cold_start(bare_args, env)
        bare.append(t)
        bare_mem.append(m or 0)
        t, m = await _cold_start(ours_args, env)
        ours.append(t)
        ours_mem.append(m or 0)
    mo, mb = statistics.median(ours), statistics.median(bare)
    print(f"cold start to first tools/list over stdio ({runs} runs, median)")
    print(f"  novita-mcp --sandbox --toolsets all : {mo * 1000:8.1f} ms   RSS {statistics.median(ours_mem) / 1024:6.1f} MiB")
    print(f"  bare MCPServer, one tool            : {mb * 1000:8.1f} ms   RSS {statistics.median(bare_mem) / 1024:6.1f} MiB")
    print(f"  ratio                               : {mo / mb:8.2f} x   memory {statistics.median(ours_mem) / max(1, statistics.median(bare_mem)):.2f} x")


async def bench_round_trip(calls: int) -> None:
    from novita_mcp.hooks import Hooks
    from novita_mcp.sandbox import Sandbox
    from novita_mcp.server import build_server
    from novita_mcp.settings import Settings

    sandbox = Sandbox()
    state = tempfile.mkdtemp()
    settings = Settings(api_key=sandbox.api_key, base_url=sandbox.base_url, state_dir=Path(state))
    server = build_server(settings, sandbox.transport(), hooks=Hooks(clock=sandbox.clock.now))
    tool_times, direct_times = [], []
    async with Client(server) as client:
        for _ in range(20):
            await client.call_tool("get_balance", {})
        for _ in range(calls):
            start = time.perf_counter()
            result = await client.call_tool("get_balance", {})
            tool_times.append(time.perf_counter() - start)
            assert not result.is_error
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    async with httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(), headers=headers) as http:
        for _ in range(20):
            await http.get("/openapi/v1/billing/balance/detail")
        for _ in range(calls):
            start = time.perf_counter()
            response = await http.get("/openapi/v1/billing/balance/detail")
            direct_times.append(time.perf_counter() - start)
            assert response.status_code == 200
    mt, md = statistics.median(tool_times), statistics.median(direct_times)
    print(f"round trip, get_balance ({calls} calls, median)")
    print(f"  MCP tool (in-memory client -> server -> client -> sandbox) : {mt * 1000:7.3f} ms")
    print(f"  direct httpx GET to the sandbox                           : {md * 1000:7.3f} ms")
    print(f"  ratio                                                     : {mt / md:7.2f} x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    ns = parser.parse_args()
    anyio.run(bench_cold_start, ns.runs)
    anyio.run(bench_round_trip, ns.calls)


if __name__ == "__main__":
    main()
