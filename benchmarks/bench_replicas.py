"""Guarded calls on the shared PostgreSQL ledger vs the embedded SQLite one.

    python benchmarks/bench_replicas.py [--calls 200] [--concurrency 8]

Starts a throwaway PostgreSQL (Debian's 15; ``.ci/postgres.sh`` installs it), the sandbox as
its own process (``novita-mcp sandbox``), and stateless HTTP replicas as real processes on
loopback, then measures, for one billable auto-approved call (``generate_image``: plan,
balance read, reservation, the call, settlement, four audit records):

1. the median round trip of one call at a time (the added latency per guarded call is the
   difference between the PostgreSQL and SQLite medians), and the same for a read tool;
2. throughput with ``--concurrency`` clients: 1 replica on SQLite (the baseline), 1 replica
   on PostgreSQL, 2 replicas on PostgreSQL (clients alternate between them), as ratios;
3. the ledger's own share, in-process: what one guarded call asks of it (the preview's
   totals, the reservation transaction, the settlement), SQLite vs PostgreSQL.

Every process shares this machine's cores, so two replicas only scale where there are cores
to spare. Prints figures only; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from anyio.abc import Process
from mcp import Client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pg_server import free_port, remove, start_postgres  # noqa: E402

KEY = "sk_bench_replicas_0000"
IMAGE = {"prompt": "a red fox", "model": "flux-1-schnell", "width": 512, "height": 512}


async def _wait_for(process: Process, needle: bytes) -> None:
    seen = bytearray()
    assert process.stderr is not None
    with anyio.fail_after(60):
        async for chunk in process.stderr:
            seen += chunk
            if needle in seen:
                return
    raise RuntimeError(f"process ended before saying {needle!r}:\n{seen.decode(errors='replace')}")


async def _drain(process: Process) -> None:
    assert process.stderr is not None
    async for _ in process.stderr:
        pass


@asynccontextmanager
async def _processes(commands: list[tuple[list[str], dict[str, str], bytes]]) -> AsyncIterator[None]:
    started: list[Process] = []
    try:
        async with anyio.create_task_group() as tg:
            for cmd, env, ready in commands:
                process = await anyio.open_process(cmd, env=env)
                started.append(process)
                await _wait_for(process, ready)
                tg.start_soon(_drain, process)
            yield
            tg.cancel_scope.cancel()
    finally:
        for process in started:
            if process.returncode is None:
                process.terminate()
            with anyio.move_on_after(10, shield=True):
                await process.wait()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOVITA_")}
    env.update(extra)
    return env


@asynccontextmanager
async def replicas(count: int, sandbox_url: str, ledger_url: str | None, state: Path) -> AsyncIterator[list[str]]:
    urls, commands = [], []
    for i in range(count):
        port = free_port()
        urls.append(f"http://127.0.0.1:{port}/mcp")
        env = _env(NOVITA_API_KEY=KEY, NOVITA_BASE_URL=sandbox_url, NOVITA_MCP_TOOLSETS="account,media",
                   NOVITA_MCP_STATE_DIR=str(state / f"r{i}"), NOVITA_MCP_TOKEN_SECRET="bench-shared-secret",
                   NOVITA_MCP_AUTO_APPROVE_SESSION_USD="1000")
        if ledger_url:
            env["NOVITA_MCP_LEDGER_URL"] = ledger_url
        commands.append(([sys.executable, "-m", "novita_mcp", "--transport", "http", "--stateless", "--port",
                          str(port)], env, b"serving MCP on"))
    async with _processes(commands):
        yield urls


async def sequential(url: str, tool: str, args: dict[str, object], calls: int) -> float:
    """Median seconds per call, one at a time."""
    times = []
    async with Client(url) as client:
        await client.call_tool(tool, args)  # warm up: connection, tool list, pool
        for _ in range(calls):
            start = time.perf_counter()
            result = await client.call_tool(tool, args)
            times.append(time.perf_counter() - start)
            if result.is_error:
                raise RuntimeError(result.content[0].text)  # type: ignore[union-attr]
    return statistics.median(times)


async def throughput(urls: list[str], calls: int, concurrency: int) -> float:
    """Guarded calls per second with ``concurrency`` clients spread over ``urls``."""
    left = calls
    errors: list[str] = []

    async def worker(url: str) -> None:
        nonlocal left
        async with Client(url) as client:
            await client.call_tool("generate_image", IMAGE)
            await ready.wait()
            while left > 0:
                left -= 1
                result = await client.call_tool("generate_image", IMAGE)
                if result.is_error:
                    errors.append(result.content[0].text)  # type: ignore[union-attr]

    ready = anyio.Event()
    async with anyio.create_task_group() as tg:
        for i in range(concurrency):
            tg.start_soon(worker, urls[i % len(urls)])
        await anyio.sleep(1.0)  # every client connected and warmed up
        start = time.perf_counter()
        ready.set()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} calls failed, e.g. {errors[0]}")
    return calls / elapsed


def ledger_ops(ledger: object, calls: int) -> float:
    """Median seconds of totals + reserve + settle, as one guarded call does them."""
    from decimal import Decimal

    from novita_mcp.guard.ledger import Reservation

    times = []
    for i in range(calls):
        start = time.perf_counter()
        now = time.time()
        ledger.totals("http:stateless", at=now)  # type: ignore[attr-defined]
        _, entry = ledger.reserve(Reservation("http:stateless", "generate_image", Decimal("0.00075")),  # type: ignore[attr-defined]
                                  lambda totals: (None, True), at=now)
        ledger.settle(entry, charged_usd=Decimal("0.00075"), resource_id=f"task-{i}", at=now)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def run(calls: int, concurrency: int) -> None:
    pg = start_postgres(durable=True)  # fsync on every commit, as SQLite's ledger does
    try:
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp)
            port = free_port()
            sandbox_cmd = [sys.executable, "-m", "novita_mcp", "sandbox", "--port", str(port), "--api-key", KEY]
            async with _processes([(sandbox_cmd, _env(), b"API key")]):
                sandbox_url = f"http://127.0.0.1:{port}"
                configs = [("1 replica, SQLite", 1, None), ("1 replica, PostgreSQL", 1, "pg"),
                           ("2 replicas, PostgreSQL", 2, "pg")]
                rates: dict[str, float] = {}
                medians: dict[str, tuple[float, float]] = {}
                for name, count, kind in configs:
                    url = pg.url(pg.create_database()) if kind else None
                    async with replicas(count, sandbox_url, url, state / name.replace(" ", "_")) as urls:
                        if count == 1:
                            guarded = await sequential(urls[0], "generate_image", IMAGE, max(20, calls // 4))
                            read = await sequential(urls[0], "get_balance", {}, max(20, calls // 4))
                            medians[name] = (guarded, read)
                        rates[name] = await throughput(urls, calls, concurrency)
                    print(f"  measured: {name}", file=sys.stderr)
            from novita_mcp.guard import SQLiteLedger
            from novita_mcp.guard.ledger_pg import PostgresLedger

            sqlite_ledger, pg_ledger = SQLiteLedger(state / "ops.sqlite3"), PostgresLedger(pg.url(pg.create_database()))
            try:
                ops = {"SQLite": ledger_ops(sqlite_ledger, calls * 2), "PostgreSQL": ledger_ops(pg_ledger, calls * 2)}
            finally:
                sqlite_ledger.close()
                pg_ledger.close()
    finally:
        remove(pg)

    base = "1 replica, SQLite"
    print(f"cores: {os.cpu_count()}; calls: {calls}; concurrency: {concurrency}")
    print("one call at a time (median):")
    for name, (guarded, read) in medians.items():
        print(f"  {name:<24} guarded generate_image {guarded * 1000:7.2f} ms   read get_balance {read * 1000:7.2f} ms")
    added = medians["1 replica, PostgreSQL"][0] - medians[base][0]
    print(f"  added latency per guarded call, PostgreSQL vs SQLite: {added * 1000:+.2f} ms "
          f"(x{medians['1 replica, PostgreSQL'][0] / medians[base][0]:.2f})")
    print("the ledger's share of one guarded call (totals + reserve + settle, in-process, median):")
    for name, seconds in ops.items():
        print(f"  {name:<11} {seconds * 1000:6.3f} ms")
    print(f"  PostgreSQL adds {(ops['PostgreSQL'] - ops['SQLite']) * 1000:+.3f} ms per guarded call "
          f"(x{ops['PostgreSQL'] / ops['SQLite']:.2f})")
    print("throughput (guarded calls per second):")
    for name, rate in rates.items():
        print(f"  {name:<24} {rate:8.1f}/s   x{rate / rates[base]:.2f} of SQLite")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    anyio.run(run, args.calls, args.concurrency)


if __name__ == "__main__":
    main()
