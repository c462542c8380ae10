"""The PostgreSQL ledger against a real PostgreSQL: the SQLite ledger's meaning, across processes.

Each test gets a fresh database on one throwaway server (``tests/pg_server.py``); several
``PostgresLedger`` objects on one database stand for several replicas (each has its own pool).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import SecretStr

from novita_mcp.guard import SQLiteLedger
from novita_mcp.guard.audit import AuditLog
from novita_mcp.guard.ledger import Reservation, Totals, day_bounds
from novita_mcp.guard.ledger_factory import LedgerURLError, ledger_kind, open_ledger
from novita_mcp.guard.ledger_pg import LedgerUnavailable, PostgresLedger
from novita_mcp.guard.pg import SCHEMA, SCHEMA_VERSION
from novita_mcp.settings import Settings

from .pg_server import PostgresServer

NOON = day_bounds(1_790_000_000)[0] + 12 * 3600


@pytest.fixture
def url(pg: PostgresServer) -> str:
    return pg.url(pg.create_database())


@pytest.fixture
def ledgers(url: str) -> Iterator[list[PostgresLedger]]:
    made: list[PostgresLedger] = []
    yield made
    for ledger in made:
        ledger.close()


def open_pg(ledgers: list[PostgresLedger], url: str) -> PostgresLedger:
    ledger = PostgresLedger(url)
    ledgers.append(ledger)
    return ledger


def allow(totals: Totals) -> tuple[None, bool]:
    return None, True


def take(cap: str):
    def judge(totals: Totals) -> tuple[bool, bool]:
        ok = totals.day_usd + 1 <= Decimal(cap)
        return ok, ok

    return judge


def scenario(ledger) -> list[Totals]:  # type: ignore[no-untyped-def]
    """Every state and the recurring arithmetic; the totals after each step."""
    seen = []
    _, a = ledger.reserve(Reservation("s1", "chat", Decimal("0.5"), auto=True), allow, at=NOON)
    _, b = ledger.reserve(Reservation("s1", "img", Decimal("0.3")), allow, at=NOON)
    _, c = ledger.reserve(Reservation("s2", "img", Decimal("2")), allow, at=NOON)
    _, d = ledger.reserve(Reservation("s2", "vid", Decimal("3"), check="get_task"), allow, at=NOON)
    _, e = ledger.reserve(Reservation("s1", "create", Decimal(0), Decimal("0.35")), allow, at=NOON)
    ledger.settle(a, charged_usd=Decimal("0.2"), resource_id=None, at=NOON)
    ledger.release(c, at=NOON)
    ledger.mark_uncertain(d, resource_id="task-1", at=NOON)
    ledger.settle(e, charged_usd=None, resource_id="i-1", at=NOON)
    seen += [ledger.totals("s1", at=NOON), ledger.totals("s2", at=NOON)]
    ledger.reconcile(d, happened=True, resource_id=None, at=NOON + 60)
    assert ledger.end_recurring("i-1", at=NOON + 2 * 3600) == 1
    assert ledger.end_recurring("i-1", at=NOON + 3 * 3600) == 0
    seen += [ledger.totals("s1", at=NOON + 3 * 3600), ledger.totals("s2", at=NOON + 86400)]
    # A re-priced resource: its old rate ends, the new one (``keep``) goes on counting.
    _, f = ledger.reserve(Reservation("s1", "start", Decimal(0), Decimal("0.2")), allow, at=NOON + 4 * 3600)
    ledger.settle(f, charged_usd=None, resource_id="i-2", at=NOON + 4 * 3600)
    _, g = ledger.reserve(Reservation("s1", "edit", Decimal(0), Decimal("0.5")), allow, at=NOON + 5 * 3600)
    ledger.settle(g, charged_usd=None, resource_id="i-2", at=NOON + 5 * 3600)
    assert ledger.end_recurring("i-2", at=NOON + 5 * 3600, keep=g) == 1
    seen.append(ledger.totals("s1", at=NOON + 7 * 3600))
    assert b is not None
    return seen


def test_every_total_is_the_same_as_on_sqlite(ledgers, url, tmp_path) -> None:
    pg_totals = scenario(open_pg(ledgers, url))
    sqlite = SQLiteLedger(tmp_path / "l.db")
    try:
        assert pg_totals == scenario(sqlite)
    finally:
        sqlite.close()
    assert pg_totals[0].session_usd == Decimal("0.85") and pg_totals[0].open_rates == (("i-1", Decimal("0.35")),)
    assert pg_totals[1].uncertain == 1 and pg_totals[1].inflight_usd == Decimal("3.3")  # b is still reserved


def test_entries_come_back_with_their_states(ledgers, url) -> None:
    ledger = open_pg(ledgers, url)
    _, a = ledger.reserve(Reservation("s", "t", Decimal("1.25"), check="list_x"), allow, at=NOON)
    ledger.mark_uncertain(a, resource_id="r-9", at=NOON)
    (entry,) = ledger.entries(state="uncertain")
    assert (entry.upfront_usd, entry.resource_id, entry.check, entry.session) == (Decimal("1.25"), "r-9", "list_x", "s")
    assert ledger.entries(state="settled") == [] and len(ledger.entries(session="s")) == 1


def test_replicas_reserving_at_once_never_pass_the_cap(ledgers, url) -> None:
    replicas = [open_pg(ledgers, url) for _ in range(3)]
    granted: list[bool] = []
    errors: list[BaseException] = []

    def worker(ledger: PostgresLedger) -> None:
        try:
            for _ in range(10):
                ok, _ = ledger.reserve(Reservation("s", "t", Decimal(1)), take("7"), at=NOON)
                granted.append(ok)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(ledger,)) for ledger in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert granted.count(True) == 7 and len(granted) == 30
    assert replicas[0].totals("s", at=NOON).day_usd == 7


def test_replicas_starting_at_once_migrate_the_schema_once(pg, ledgers) -> None:
    url = pg.url(pg.create_database())
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait(10)
            ledgers.append(PostgresLedger(url))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(ledgers) == 4
    with psycopg.connect(url) as conn:
        versions = [r[0] for r in conn.execute(f"SELECT version FROM {SCHEMA}.schema_version ORDER BY version")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    # And every replica works on it.
    assert all(ledger.totals("s", at=NOON).day_usd == 0 for ledger in ledgers)


def test_a_token_is_spent_once_whichever_replica_sees_it(ledgers, url) -> None:
    a, b = open_pg(ledgers, url), open_pg(ledgers, url)
    assert a.spend_token("nonce-1", NOON)
    assert not b.spend_token("nonce-1", NOON) and not a.spend_token("nonce-1", NOON)
    assert b.spend_token("nonce-2")


def test_an_approval_asked_on_one_replica_is_used_once_on_another(ledgers, url) -> None:
    a, b = open_pg(ledgers, url), open_pg(ledgers, url)
    number = a.ask_approval("http:stateless", "call-1", at=NOON, ttl=600)
    assert b.ask_approval("http:stateless", "call-1", at=NOON + 1, ttl=600) == number  # same question, same number
    assert a.ask_approval("http:other", "call-1", at=NOON, ttl=600) != number  # bound to the session
    assert b.use_approval("http:stateless", "call-1", at=NOON + 2, ttl=600)
    assert not a.use_approval("http:stateless", "call-1", at=NOON + 3, ttl=600)
    # Expired approvals cannot be used.
    a.ask_approval("s", "late", at=NOON, ttl=600)
    assert not b.use_approval("s", "late", at=NOON + 601, ttl=600)


def test_the_database_going_away_fails_closed_keeps_what_was_spent_and_recovers(pg, ledgers, url, caplog) -> None:
    ledger = open_pg(ledgers, url)
    _, entry = ledger.reserve(Reservation("s", "t", Decimal(2)), allow, at=NOON)
    pg.stop()
    try:
        started = time.monotonic()
        with pytest.raises(LedgerUnavailable) as refused:
            ledger.reserve(Reservation("s", "t", Decimal(1)), allow, at=NOON)
        assert time.monotonic() - started < 5  # bounded, not a hang
        # A tool error: the agent reads exactly this, and nothing else is done.
        assert isinstance(refused.value, ToolError)
        message = str(refused.value)
        assert "NOVITA_MCP_LEDGER_URL" in message and "Nothing was done" in message and "read-only" in message
        # While it is known to be down, refusals are immediate.
        quick = time.monotonic()
        for call in (lambda: ledger.totals("s", at=NOON), lambda: ledger.spend_token("n"),
                     lambda: ledger.use_approval("s", "k", at=NOON, ttl=60)):
            with pytest.raises(LedgerUnavailable):
                call()
        assert time.monotonic() - quick < 0.5
        # The outcome of a call that ran meanwhile is kept, not lost and not raised.
        ledger.settle(entry, charged_usd=Decimal("1.5"), resource_id="r-1", at=NOON)
        assert ledger.deferred == 1
    finally:
        pg.start()
    # Recovers without a new ledger: first the kept update is written, then the call is decided.
    deadline = time.monotonic() + 10
    while True:
        try:
            verdict, _ = ledger.reserve(Reservation("s", "t", Decimal(1)), allow, at=NOON)
            break
        except LedgerUnavailable:
            assert time.monotonic() < deadline, "the ledger did not recover"
            time.sleep(0.2)  # the database restarted moments ago; the ledger retries once a second
    assert ledger.deferred == 0
    (settled,) = ledger.entries(state="settled")
    assert settled.upfront_usd == Decimal("1.5") and settled.resource_id == "r-1"
    assert ledger.totals("s", at=NOON).day_usd == Decimal("2.5")
    assert pg.password not in caplog.text


def test_audit_records_reach_the_shared_table_redacted_with_the_replica(ledgers, url, tmp_path) -> None:
    ledger = open_pg(ledgers, url)
    audit = AuditLog(tmp_path / "audit.jsonl", secrets=("sk_live_SECRET",), sink=ledger.audit_sink)
    audit.write("decision", "create_instance", arguments={"name": "x", "password": "hunter2"},
                reason="uses sk_live_SECRET", quote={"amount": Decimal("0.35")})
    audit.write("outcome", "create_instance", status="done")
    assert ledger.audit_sink.flush(5)
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"SELECT replica, event, tool, record FROM {SCHEMA}.audit ORDER BY id").fetchall()
    assert [(r[1], r[2]) for r in rows] == [("decision", "create_instance"), ("outcome", "create_instance")]
    assert rows[0][0] == ledger.audit_sink.replica and ":" in rows[0][0]
    stored = json.dumps(rows[0][3])
    assert "hunter2" not in stored and "sk_live_SECRET" not in stored and rows[0][3]["quote"]["amount"] == "0.35"
    # The JSON lines are kept as before.
    assert [r["event"] for r in audit.read()] == ["decision", "outcome"]


def test_audit_records_wait_for_the_database_and_are_written_when_it_is_back(pg, ledgers, url) -> None:
    ledger = open_pg(ledgers, url)
    pg.stop()
    try:
        ledger.audit_sink({"time": "2026-12-01T12:00:00Z", "event": "refused", "tool": "t"})
        assert not ledger.audit_sink.flush(0.3)
    finally:
        pg.start()
    assert ledger.audit_sink.flush(10)
    with psycopg.connect(url) as conn:
        assert conn.execute(f"SELECT count(*) FROM {SCHEMA}.audit WHERE event = 'refused'").fetchone()[0] == 1


# --- choosing the ledger ------------------------------------------------------------------------

def settings(tmp_path: Path, url: str | None) -> Settings:
    return Settings(state_dir=tmp_path, ledger_url=SecretStr(url) if url else None)


def test_without_a_url_the_ledger_is_sqlite_in_the_state_dir(tmp_path) -> None:
    ledger, sink = open_ledger(settings(tmp_path, None))
    assert isinstance(ledger, SQLiteLedger) and ledger.path == tmp_path / "ledger.sqlite3" and sink is None
    ledger.close()


def test_a_sqlite_url_names_the_file(tmp_path) -> None:
    ledger, sink = open_ledger(settings(tmp_path, f"sqlite://{tmp_path}/shared/l.db"))
    assert isinstance(ledger, SQLiteLedger) and ledger.path == tmp_path / "shared" / "l.db" and sink is None
    ledger.close()


def test_a_postgresql_url_opens_the_shared_ledger_and_never_shows_its_password(pg, url, tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    ledger, sink = open_ledger(settings(tmp_path, url))
    try:
        assert isinstance(ledger, PostgresLedger) and sink is ledger.audit_sink
        assert ledger.totals("s", at=NOON).day_usd == 0
        shown = repr(ledger) + repr(sink)
        assert pg.password not in shown and f":{pg.port}/" in shown
    finally:
        ledger.close()
    assert pg.password not in caplog.text


@pytest.mark.parametrize("bad", ["mysql://root:SECRETPW@db/x", "ledger.db", "http://SECRETPW@x"])
def test_an_unknown_url_is_a_clear_error_without_the_url(tmp_path, bad) -> None:
    with pytest.raises(LedgerURLError) as err:
        ledger_kind(settings(tmp_path, bad))
    assert "postgresql://" in str(err.value) and "SECRETPW" not in str(err.value)


def test_an_unreachable_database_at_start_up_refuses_guarded_calls_until_it_is_there(pg, tmp_path) -> None:
    from .pg_server import free_port

    url = f"postgresql://postgres:{pg.password}@127.0.0.1:{free_port()}/postgres"
    ledger = PostgresLedger(url)
    try:
        with pytest.raises(LedgerUnavailable):
            ledger.reserve(Reservation("s", "t", Decimal(1)), allow, at=NOON)
    finally:
        ledger.close()


def test_the_in_process_sandbox_never_writes_into_the_shared_ledger(url, tmp_path) -> None:
    sandboxed = Settings(state_dir=tmp_path, ledger_url=SecretStr(url), sandbox=True)
    ledger, sink = open_ledger(sandboxed)
    assert isinstance(ledger, SQLiteLedger) and sink is None
    ledger.close()


def test_the_command_refuses_an_unknown_ledger_url_in_one_line(monkeypatch, capsys, tmp_path) -> None:
    from novita_mcp.cli import main

    monkeypatch.setenv("NOVITA_MCP_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("NOVITA_MCP_LEDGER_URL", "mysql://root:SECRETPW@db/x")
    assert main(["--sandbox"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NOVITA_MCP_LEDGER_URL must start with postgresql://" in err
    assert "SECRETPW" not in err
