"""Two replicas on two hosts, one PostgreSQL: every guarantee holds across them.

Each replica is a real ``novita-mcp --transport http --stateless`` process in its own network
namespace (its own "host": an address on a veth link to this one), bound to a non-local
address so the HTTP bearer token is required, with the shared token secret and
``NOVITA_MCP_LEDGER_URL`` pointing at one PostgreSQL (``tests/pg_server.py``). Both reach the
sandbox, served over real HTTP with latency from this process, as Novita; the sandbox's own
records (requests, charges) are the ground truth. Where network namespaces are not permitted,
the two replicas run on loopback and a warning says so.

The replicas use real time; the sandbox clock stands still, which changes nothing here.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import httpx2
import psycopg
import pytest
from anyio.abc import Process
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, ElicitResult, InputRequiredResult

from novita_mcp.guard.pg import SCHEMA
from novita_mcp.sandbox import ManualClock, Sandbox

from .conftest import TEST_KEY
from .pg_server import PostgresServer, free_port
from .served import serve_asgi

pytestmark = pytest.mark.anyio

SHARED_SECRET = "replicas-share-this-token-secret-7d2c"
HTTP_TOKEN = "replica-http-token-DO-NOT-LEAK-41ab"
LATENCY = 0.05
CREATE = "/gpu-instance/openapi/v1/gpu/instance/create"
FLUX = "/v3beta/flux-1-schnell"
IMAGE = {"prompt": "a red fox", "model": "flux-1-schnell", "width": 1024, "height": 1024}
IMAGE_USD = Decimal("0.003")  # FLUX schnell, 1024x1024 at 4 steps: the quote and the sandbox's charge
INSTANCE = {"name": "replica-test", "product_id": "1", "image_url": "pytorch/pytorch:latest"}
INSTANCE_USD_PER_HOUR = Decimal("0.35")


def text(result: Any) -> str:
    return result.content[0].text


def creates(sandbox: Sandbox) -> int:
    return len(sandbox.state.requests_to(CREATE, "POST"))


def images(sandbox: Sandbox) -> int:
    return len(sandbox.state.requests_to(FLUX, "POST"))


# --- two hosts ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Host:
    namespace: str | None  # None: this host's own network (loopback fallback)
    address: str  # where a replica on this host listens
    gateway: str  # this test's address as that host sees it: the sandbox and PostgreSQL are there


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@pytest.fixture(scope="module")
def hosts() -> Iterator[tuple[Host, Host]]:
    """Two network namespaces, each linked to this one by a veth pair in 198.18.0.0/15 (RFC 2544)."""
    tag = f"{os.getpid() % 100000}{random.randrange(10)}"
    third = random.randrange(256)
    made: list[str] = []
    try:
        pair = []
        for i in (0, 1):
            ns, outer, inner = f"nmcp{tag}{i}", f"vn{tag}{i}", f"pn{tag}{i}"
            base = 4 * i + 4 * 8 * random.randrange(8)
            gateway, address = f"198.18.{third}.{base + 1}", f"198.18.{third}.{base + 2}"
            _ip("netns", "add", ns)
            made.append(ns)
            _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
            _ip("link", "set", inner, "netns", ns)
            _ip("addr", "add", f"{gateway}/30", "dev", outer)
            _ip("link", "set", outer, "up")
            _ip("-n", ns, "addr", "add", f"{address}/30", "dev", inner)
            _ip("-n", ns, "link", "set", inner, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
            pair.append(Host(ns, address, gateway))
        hosts_pair = (pair[0], pair[1])
    except (OSError, subprocess.SubprocessError) as exc:
        for ns in made:
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)
        detail = exc.stderr.decode(errors="replace").strip() if isinstance(exc, subprocess.CalledProcessError) else exc
        warnings.warn(f"network namespaces are not permitted here ({detail}); the two replicas run as two "
                      "processes on loopback instead", stacklevel=1)
        made = []
        hosts_pair = (Host(None, "127.0.0.1", "127.0.0.1"), Host(None, "127.0.0.1", "127.0.0.1"))
    try:
        yield hosts_pair
    finally:
        for ns in made:  # deleting a namespace deletes its end of the veth pair, and so the pair
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"  # module-wide, so one pair of replicas can serve several tests


@asynccontextmanager
async def sandbox_served(sandbox: Sandbox) -> AsyncIterator[int]:
    """The sandbox on every address of this host (the replicas' hosts reach it through their gateway)."""
    sandbox.faults.latency = LATENCY
    async with serve_asgi(sandbox.app, host="0.0.0.0") as port:
        yield port


# --- replicas -----------------------------------------------------------------------------------

class Replica:
    def __init__(self, host: Host, port: int, process: Process) -> None:
        self.host = host
        self.process = process
        self.url = f"http://{host.address}:{port}/mcp"
        self.stderr = bytearray()

    def client(self, *, elicit: Any = None) -> Client:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {HTTP_TOKEN}"}, timeout=30)
        return Client(streamable_http_client(self.url, http_client=http), elicitation_callback=elicit)


@dataclass
class Cluster:
    replicas: list[Replica]
    db_url: str  # from this host
    sandbox: Sandbox
    state_dirs: list[Path]

    def audit_rows(self) -> list[tuple[str, str, str]]:
        with psycopg.connect(self.db_url) as conn:
            return [tuple(r) for r in conn.execute(f"SELECT replica, event, tool FROM {SCHEMA}.audit ORDER BY id")]


async def _start(host: Host, env: dict[str, str]) -> Replica:
    port = free_port()
    prefix = ["ip", "netns", "exec", host.namespace] if host.namespace else []
    cmd = [*prefix, sys.executable, "-m", "novita_mcp", "--transport", "http", "--stateless", "--host", host.address,
           "--port", str(port)]
    process = await anyio.open_process(cmd, env=env)
    return Replica(host, port, process)


@asynccontextmanager
async def replicas(pg: PostgresServer, hosts: tuple[Host, Host], sandbox: Sandbox, root: Path,
                   **settings: str) -> AsyncIterator[Cluster]:
    """Two replicas, one fresh database; stopped gracefully after (so each flushes its audit copy)."""
    dbname = pg.create_database()
    async with sandbox_served(sandbox) as sandbox_port:
        base = {k: v for k, v in os.environ.items() if not k.startswith("NOVITA_")}
        started: list[Replica] = []
        dirs = []
        try:
            for i, host in enumerate(hosts):
                state = root / f"replica-{i}"
                dirs.append(state)
                env = {**base, "NOVITA_API_KEY": TEST_KEY, "NOVITA_BASE_URL": f"http://{host.gateway}:{sandbox_port}",
                       "NOVITA_MCP_TOOLSETS": "account,media,gpu", "NOVITA_MCP_STATE_DIR": str(state),
                       "NOVITA_MCP_TOKEN_SECRET": SHARED_SECRET, "NOVITA_MCP_HTTP_TOKEN": HTTP_TOKEN,
                       "NOVITA_MCP_LEDGER_URL": pg.url(dbname, host=host.gateway), **settings}
                started.append(await _start(host, env))
            async with anyio.create_task_group() as tg:
                ready = [anyio.Event() for _ in started]

                async def drain(replica: Replica, event: anyio.Event) -> None:
                    assert replica.process.stderr is not None
                    async for chunk in replica.process.stderr:
                        replica.stderr += chunk
                        if b"serving MCP on" in replica.stderr:
                            event.set()
                    event.set()

                for replica, event in zip(started, ready, strict=True):
                    tg.start_soon(drain, replica, event)
                with anyio.fail_after(30):
                    for replica, event in zip(started, ready, strict=True):
                        await event.wait()
                        assert b"serving MCP on" in replica.stderr, replica.stderr.decode()
                yield Cluster(started, pg.url(dbname), sandbox, dirs)
                for replica in started:
                    replica.process.send_signal(signal.SIGTERM)
                with anyio.fail_after(15):
                    for replica in started:
                        await replica.process.wait()
        finally:
            for replica in started:
                if replica.process.returncode is None:
                    replica.process.kill()
                with anyio.move_on_after(10, shield=True):
                    await replica.process.wait()
    for replica in started:
        out = replica.stderr.decode(errors="replace")
        assert HTTP_TOKEN not in out and pg.password not in out and TEST_KEY not in out, out
        assert "Traceback" not in out, out
    for state in dirs:
        audit = (state / "audit.jsonl").read_text() if (state / "audit.jsonl").exists() else ""
        assert pg.password not in audit and TEST_KEY not in audit


@pytest.fixture(scope="module")
async def cluster(pg, hosts, tmp_path_factory) -> AsyncIterator[Cluster]:
    """Two replicas with the default guardrails, shared by the tests that need no cap of their own."""
    sandbox = Sandbox(clock=ManualClock(), api_key=TEST_KEY)
    async with replicas(pg, hosts, sandbox, tmp_path_factory.mktemp("replicas")) as shared:
        yield shared


# --- the guarantees -------------------------------------------------------------------------------

async def test_a_token_redeemed_on_one_replica_is_refused_on_the_other(cluster) -> None:
    a, b = cluster.replicas
    before = creates(cluster.sandbox)
    with anyio.fail_after(60):
        async with a.client() as on_a, b.client() as on_b:
            plan = await on_a.call_tool("create_instance", INSTANCE)
            assert plan.structured_content["status"] == "confirmation_required", text(plan)
            token = plan.structured_content["confirmation"]["token"]
            args = {**INSTANCE, "confirmation_token": token}
            done = await on_a.call_tool("create_instance", args)
            again = await on_b.call_tool("create_instance", args)
    assert not done.is_error and done.structured_content["status"] == "done", text(done)
    assert again.is_error and "already used" in text(again) and "Nothing was done" in text(again)
    assert creates(cluster.sandbox) - before == 1


async def test_an_approval_asked_on_one_replica_is_completed_on_the_other(cluster) -> None:
    asked: list[str] = []

    async def never(context: Any, params: Any) -> ElicitResult:  # rounds are driven by hand below
        asked.append(params.message)
        return ElicitResult(action="decline")

    a, b = cluster.replicas
    before = creates(cluster.sandbox)
    with anyio.fail_after(60):
        async with a.client(elicit=never) as on_a, b.client(elicit=never) as on_b:
            assert on_a.protocol_version == on_b.protocol_version == "2026-07-28"
            await on_a.list_tools()
            await on_b.list_tools()
            first = await on_a.session.call_tool("create_instance", INSTANCE, allow_input_required=True)
            assert isinstance(first, InputRequiredResult), first
            ((key, question),) = first.input_requests.items()
            answer = {key: ElicitResult(action="accept", content={"approve": True})}
            # Round two goes to the other replica: it verifies the sealed state and finds the approval.
            done = await on_b.session.call_tool("create_instance", INSTANCE, input_responses=answer,
                                                 request_state=first.request_state, allow_input_required=True)
            # The same accepted round, re-sent to the first replica, cannot create a second instance.
            replayed = await on_a.session.call_tool("create_instance", INSTANCE, input_responses=answer,
                                                    request_state=first.request_state, allow_input_required=True)
    assert "$0.35" in question.params.message and "replica-test" in question.params.message
    assert isinstance(done, CallToolResult) and not done.is_error, done
    assert done.structured_content["status"] == "done"
    assert not (isinstance(replayed, CallToolResult) and not replayed.is_error), replayed
    assert creates(cluster.sandbox) - before == 1 and asked == []


CAPS = {
    # name: (settings, tool, arguments, what one call commits, the cap, the words of its refusal)
    "session": ({"NOVITA_MCP_SESSION_BUDGET_USD": "0.0165"}, "generate_image", IMAGE, IMAGE_USD, Decimal("0.0165"),
                "NOVITA_MCP_SESSION_BUDGET_USD"),
    "daily": ({"NOVITA_MCP_DAILY_BUDGET_USD": "0.0165"}, "generate_image", IMAGE, IMAGE_USD, Decimal("0.0165"),
              "NOVITA_MCP_DAILY_BUDGET_USD"),
    "hourly": ({"NOVITA_MCP_MAX_HOURLY_USD": "1.00", "NOVITA_MCP_CONFIRM_MODE": "none"}, "create_instance", INSTANCE,
               INSTANCE_USD_PER_HOUR, Decimal("1.00"), "NOVITA_MCP_MAX_HOURLY_USD"),
}


@pytest.mark.parametrize("cap", list(CAPS))
async def test_twenty_parallel_calls_over_both_replicas_never_pass_a_cap(pg, hosts, sandbox, tmp_path, cap) -> None:
    settings, tool, args, each, limit, words = CAPS[cap]
    results: list[Any] = []
    history = len(sandbox.state.charges)  # the seeded account's past
    async with replicas(pg, hosts, sandbox, tmp_path, **settings) as cluster:
        with anyio.fail_after(60):
            async with cluster.replicas[0].client() as on_a, cluster.replicas[1].client() as on_b:

                async def call(client: Client, i: int) -> None:
                    named = {**args, "name": f"race-{i}"} if tool == "create_instance" else args
                    results.append(await client.call_tool(tool, named))

                async with anyio.create_task_group() as tg:
                    for i in range(20):
                        tg.start_soon(call, (on_a, on_b)[i % 2], i)
    ran = creates(sandbox) if tool == "create_instance" else images(sandbox)
    room = int(limit // each)  # 5 images of $0.003 in $0.0165; 2 instances of $0.35/h under $1.00/h
    # The sandbox's records: never past the cap, and the cap's whole room was used (no call was lost).
    assert ran * each <= limit and ran == room
    if tool == "generate_image":
        charged = sum((c.amount_units for c in sandbox.state.charges[history:]), Decimal(0)) / 10_000
        assert charged == ran * IMAGE_USD <= limit
    done = [r for r in results if not r.is_error]
    refused = [r for r in results if r.is_error]
    assert len(done) == room and len(refused) == 20 - room
    assert all(words in text(r) and "Nothing was done" in text(r) for r in refused), [text(r) for r in refused]
    # Both replicas served calls, and the operator sees both in one audit table.
    rows = cluster.audit_rows()
    assert {r[0] for r in rows if r[1] == "reserve"} and len({r[0] for r in rows}) == 2
    assert sum(1 for r in rows if r[1] == "outcome") == room


async def test_the_database_going_away_fails_closed_reads_go_on_and_it_recovers(pg, cluster) -> None:
    sandbox = cluster.sandbox
    with anyio.fail_after(60):
        async with cluster.replicas[0].client() as on_a, cluster.replicas[1].client() as on_b:
            before = await on_a.call_tool("generate_image", IMAGE)
            assert not before.is_error, text(before)
            ran = images(sandbox)
            pg.stop()
            try:
                outage = []
                for client in (on_a, on_b, on_a, on_b):
                    outage.append(await client.call_tool("generate_image", IMAGE))
                reads = [await client.call_tool("get_balance", {}) for client in (on_a, on_b)]
                during = images(sandbox) - ran
            finally:
                pg.start()
            # No restart: each replica takes the next guarded call once the database answers again.
            recovered = []
            for client in (on_a, on_b):
                with anyio.fail_after(15):
                    while True:
                        result = await client.call_tool("generate_image", IMAGE)
                        if not result.is_error:
                            break
                        assert "shared spend ledger" in text(result), text(result)
                        await anyio.sleep(0.25)  # the replica tries the database again once a second
                recovered.append(result)
    for r in outage:
        assert r.is_error and "shared spend ledger (PostgreSQL" in text(r) and "Nothing was done" in text(r), text(r)
        assert "read-only tools still work" in text(r)
    assert not any(r.is_error for r in reads)
    assert during == 0  # nothing billable reached Novita while the ledger was away
    assert images(sandbox) - ran == 2 and len(recovered) == 2
    # Each replica's JSON lines keep its refusals.
    refusals = [line for d in cluster.state_dirs for line in (d / "audit.jsonl").read_text().splitlines()
                if "shared spend ledger" in line]
    assert len(refusals) >= 4
