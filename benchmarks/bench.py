"""Speed, memory and context cost of novita-mcp, each against a baseline measured in the same run.

    python benchmarks/bench.py [--runs 7] [--calls 300]

1. Cold start to the first tools/list over stdio, vs a bare MCPServer with one tool (ratio),
   plus resident memory: the default toolsets as a user runs them against the real API (a key,
   no --sandbox; listing tools sends nothing to Novita), the same with --sandbox, and all toolsets.
   Then what the fast start defers to the first calls (benchmarks/_first_call.py, fresh
   processes): the first call of a tool - importing its module, building its SDK Tool - vs the
   same first call when every tool was built before it, and the network transport's TLS context.
2. What the model pays in context: tokens (JSON bytes / 4) of name + description + inputSchema
   per toolset and in total, and the whole tools/list in bytes (benchmarks/context_cost.py).
3. Per-call overhead: the median round trip of get_balance through MCP (in-memory client ->
   server -> our client -> sandbox app) vs a bare MCPServer's ping tool through the same client
   (MCP's own cost) and vs a direct httpx call to the same sandbox endpoint (the API's cost).
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


async def _median_cold_start(args: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    times, mem = [], []
    for _ in range(runs):
        t, m = await _cold_start(args, env)
        times.append(t)
        mem.append(m or 0)
    return statistics.median(times), statistics.median(mem)


async def bench_cold_start(runs: int) -> None:
    state = tempfile.mkdtemp()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": state, "NOVITA_MCP_STATE_DIR": state}
    real_env = {**env, "NOVITA_API_KEY": "sk_bench_not_a_real_key"}
    cases = [
        ("default toolsets, real API (a key)", ["-m", "novita_mcp"], real_env),
        ("default toolsets, --sandbox", ["-m", "novita_mcp", "--sandbox"], env),
        ("all toolsets, --sandbox", ["-m", "novita_mcp", "--sandbox", "--toolsets", "all"], env),
    ]
    bare_args = [str(HERE / "_bare_server.py")]
    await _cold_start(bare_args, env)  # warm the OS file cache
    for _, args, case_env in cases:
        await _cold_start(args, case_env)
    print(f"cold start to first tools/list over stdio ({runs} runs each, median; bare measured beside each)")
    for label, args, case_env in cases:
        # Interleaved with the bare server so both see the same machine load.
        ours, bare, ours_mem, bare_mem = [], [], [], []
        for _ in range(runs):
            t, m = await _median_cold_start(bare_args, env, 1)
            bare.append(t)
            bare_mem.append(m)
            t, m = await _median_cold_start(args, case_env, 1)
            ours.append(t)
            ours_mem.append(m)
        mo, mb = statistics.median(ours), statistics.median(bare)
        print(f"  {label:<36}: {mo * 1000:7.1f} ms vs bare {mb * 1000:7.1f} ms = {mo / mb:5.2f} x   "
              f"RSS {statistics.median(ours_mem) / 1024:6.1f} MiB vs {statistics.median(bare_mem) / 1024:6.1f} MiB")


def bench_first_call(runs: int) -> None:
    import json
    import subprocess

    def sample(*flags: str) -> dict[str, list[float]]:
        out = subprocess.run([sys.executable, str(HERE / "_first_call.py"), *flags], capture_output=True,
                             text=True, check=True)
        return json.loads(out.stdout)

    lazy = [sample() for _ in range(runs)]
    built = [sample("--built") for _ in range(runs)]
    print(f"first calls in a fresh process ({runs} processes each, median ms: 1st / 2nd call; "
          "'built' = every tool built before the first call)")
    for name in lazy[0]:
        if name == "tls_transport":
            continue
        first, second = (statistics.median(r[name][i] for r in lazy) for i in (0, 1))
        b_first = statistics.median(r[name][0] for r in built)
        print(f"  {name:<18}: {first:7.1f} / {second:5.1f}   built: {b_first:7.1f}   extra on the first call "
              f"{first - b_first:6.1f}")
    tls = statistics.median(r["tls_transport"][0] for r in lazy)
    print(f"  the first request to Novita also creates the TLS transport: {tls:.1f} ms")


def bench_context() -> None:
    sys.path.insert(0, str(HERE))
    from context_cost import report

    report()


async def _timed(call, calls: int) -> float:
    for _ in range(20):
        await call()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        await call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def bench_round_trip(calls: int) -> None:
    from mcp.server.mcpserver import MCPServer

    from novita_mcp.hooks import Hooks
    from novita_mcp.sandbox import Sandbox
    from novita_mcp.server import build_server
    from novita_mcp.settings import Settings

    sandbox = Sandbox()
    state = tempfile.mkdtemp()
    settings = Settings(api_key=sandbox.api_key, base_url=sandbox.base_url, state_dir=Path(state))
    server = build_server(settings, sandbox.transport(), hooks=Hooks(clock=sandbox.clock.now))
    bare = MCPServer("bare")

    @bare.tool()
    def ping() -> str:
        """Answer pong."""
        return "pong"

    async with Client(server) as client:
        async def tool() -> None:
            assert not (await client.call_tool("get_balance", {})).is_error
        mt = await _timed(tool, calls)
    async with Client(bare) as client:
        async def pinged() -> None:
            assert not (await client.call_tool("ping", {})).is_error
        mp = await _timed(pinged, calls)
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    async with httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(), headers=headers) as http:
        async def direct() -> None:
            assert (await http.get("/openapi/v1/billing/balance/detail")).status_code == 200
        md = await _timed(direct, calls)
    print(f"per-call round trip ({calls} calls, median)")
    print(f"  get_balance through MCP (in-memory client -> server -> client -> sandbox) : {mt * 1000:7.3f} ms")
    print(f"  bare MCPServer ping tool through the same client                         : {mp * 1000:7.3f} ms")
    print(f"  direct httpx GET to the sandbox                                          : {md * 1000:7.3f} ms")
    print(f"  ratios: tool / ping {mt / mp:.2f} x, tool / direct {mt / md:.2f} x "
          "(ping and direct each include work the tool call shares, so they do not simply add up)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    ns = parser.parse_args()
    anyio.run(bench_cold_start, ns.runs)
    bench_first_call(min(ns.runs, 5))
    bench_context()
    anyio.run(bench_round_trip, ns.calls)


if __name__ == "__main__":
    main()
