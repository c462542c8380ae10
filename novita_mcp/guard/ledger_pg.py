"""The spend ledger on PostgreSQL, shared by replicas on several hosts (``NOVITA_MCP_LEDGER_URL``).

Same rows, states and arithmetic as the SQLite ledger (``committed`` computes the totals
from the counting entries for both), so a guarantee means the same on one host and on ten:

* A reservation is one transaction that first takes a transaction-scoped advisory lock. The
  caps are sums over every session (today's budget, the hourly run-rate, what is in flight
  against the balance), so any reservation can change any other's verdict: one lock for all
  of them, held only while the (pure) judge reads the totals and the row is written - about
  a millisecond. Concurrent replicas queue on it and can never jointly exceed a cap.
* A token nonce is spent by an insert on a primary key: exactly one replica wins.
* An approval is asked and used under a lock on its (session, call), so a re-sent answer
  finds it used on whichever replica it lands.

Fail closed, without losing what was spent: deciding (``totals``, ``reserve``, tokens,
approvals) raises :class:`LedgerUnavailable` when the database cannot be reached. The
bookkeeping after a call (settle, release, uncertain, ended) never fails the call: if the
database is away it is kept in order in memory and written before the next transaction.
Until then the reservation keeps counting at its quote, which can only over-count.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import psycopg

from novita_mcp.guard.audit_pg import PostgresAuditSink
from novita_mcp.guard.ledger import Entry, Reservation, Totals, committed, day_bounds
from novita_mcp.guard.pg import LOCK_CLASS_APPROVAL, SCHEMA, Database, LedgerUnavailable, lock_key

__all__ = ["PostgresLedger", "LedgerUnavailable"]

log = logging.getLogger("novita_mcp.guard")

T = TypeVar("T")

_COLUMNS = "id, session, tool, state, upfront_usd, hourly_usd, started_at, ended_at, auto, resource_id, check_with"
# As in the SQLite ledger: all but released entries; settled one-off spend older than two days
# can no longer affect a day or a one-hour session window, but recurring rows always can.
_COUNTING = (f"SELECT {_COLUMNS} FROM {SCHEMA}.reservations WHERE state <> 'released' "
             "AND (started_at >= %s OR hourly_usd <> 0 OR session = %s)")
_OPEN_APPROVAL = (f"SELECT nonce FROM {SCHEMA}.approvals WHERE session = %s AND key = %s AND state = 'asked' "
                  "AND created_at > %s ORDER BY created_at LIMIT 1")


def _entry(row: tuple[Any, ...]) -> Entry:
    rid, session, tool, state, upfront, hourly, started, ended, auto, resource, check = row
    return Entry(rid, session, tool, state, Decimal(upfront), Decimal(hourly), float(started),
                 None if ended is None else float(ended), bool(auto), resource, check)


class PostgresLedger:
    """The ``SpendLedger`` on a shared PostgreSQL database; also feeds the shared audit table."""

    def __init__(self, url: str, *, replica: str | None = None) -> None:
        self._db = Database(url)
        self._deferred: list[tuple[str, tuple[Any, ...]]] = []
        self._deferred_lock = threading.Lock()
        self.audit_sink = PostgresAuditSink(self._db, replica=replica)
        if not self._db.ensure_schema():
            log.error("the shared ledger is not reachable at start-up; guarded calls are refused until it is")

    def __repr__(self) -> str:
        return f"PostgresLedger({self._db.where})"

    # --- plumbing -------------------------------------------------------------------------
    def _run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``work`` in one transaction, after the bookkeeping that waited for the database."""
        with self._deferred_lock:
            pending = list(self._deferred)

        def replay_then_work(conn: psycopg.Connection[Any]) -> T:
            for sql, params in pending:
                conn.execute(sql, params)
            return work(conn)

        result = self._db.run(replay_then_work)
        if pending:
            with self._deferred_lock:
                del self._deferred[:len(pending)]
            log.warning("shared ledger: wrote %d deferred update(s)", len(pending))
        return result

    def _update(self, sql: str, params: tuple[Any, ...]) -> int:
        """Bookkeeping after a call: written now, or kept in order until the database is back."""
        try:
            return self._run(lambda conn: conn.execute(sql, params).rowcount)
        except LedgerUnavailable:
            with self._deferred_lock:
                self._deferred.append((sql, params))
            log.warning("shared ledger unreachable: an update is kept until it is back (the reservation keeps "
                        "counting at its quote meanwhile)")
            return 0

    @property
    def deferred(self) -> int:
        """Updates waiting for the database."""
        return len(self._deferred)

    def _counting(self, conn: psycopg.Connection[Any], session: str, at: float) -> list[Entry]:
        day_start, _ = day_bounds(at)
        return [_entry(r) for r in conn.execute(_COUNTING, (day_start - 86400, session)).fetchall()]

    # --- deciding -------------------------------------------------------------------------
    def reserve(self, reservation: Reservation, judge: Callable[[Totals], tuple[T, bool]], *,
                at: float) -> tuple[T, str | None]:
        r = reservation

        def work(conn: psycopg.Connection[Any]) -> tuple[T, str | None]:
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", lock_key("ledger"))
            verdict, write = judge(committed(self._counting(conn, r.session, at), session=r.session, now=at))
            if not write:
                return verdict, None
            entry_id = uuid.uuid4().hex
            conn.execute(
                f"INSERT INTO {SCHEMA}.reservations ({_COLUMNS}, updated_at) "
                "VALUES (%s, %s, %s, 'reserved', %s, %s, %s, NULL, %s, NULL, %s, %s)",
                (entry_id, r.session, r.tool, r.upfront_usd, r.hourly_usd, at, r.auto, r.check, at))
            return verdict, entry_id

        return self._run(work)

    def totals(self, session: str, *, at: float) -> Totals:
        entries = self._run(lambda conn: self._counting(conn, session, at))
        return committed(entries, session=session, now=at)

    def entries(self, *, state: str | None = None, session: str | None = None) -> list[Entry]:
        sql = (f"SELECT {_COLUMNS} FROM {SCHEMA}.reservations WHERE (%(state)s::text IS NULL OR state = %(state)s) "
               "AND (%(session)s::text IS NULL OR session = %(session)s) ORDER BY started_at")
        rows = self._run(lambda conn: conn.execute(sql, {"state": state, "session": session}).fetchall())
        return [_entry(r) for r in rows]

    # --- after the call ---------------------------------------------------------------------
    def settle(self, entry_id: str, *, charged_usd: Decimal | None, resource_id: str | None, at: float) -> None:
        self._update(f"UPDATE {SCHEMA}.reservations SET state = 'settled', upfront_usd = coalesce(%s, upfront_usd), "
                     "resource_id = coalesce(%s, resource_id), updated_at = %s WHERE id = %s",
                     (charged_usd, resource_id, at, entry_id))

    def release(self, entry_id: str, *, at: float) -> None:
        self._update(f"UPDATE {SCHEMA}.reservations SET state = 'released', updated_at = %s WHERE id = %s",
                     (at, entry_id))

    def mark_uncertain(self, entry_id: str, *, resource_id: str | None, at: float) -> None:
        self._update(f"UPDATE {SCHEMA}.reservations SET state = 'uncertain', resource_id = coalesce(%s, resource_id), "
                     "updated_at = %s WHERE id = %s", (resource_id, at, entry_id))

    def end_recurring(self, resource_id: str, *, at: float, keep: str | None = None) -> int:
        return self._update(f"UPDATE {SCHEMA}.reservations SET ended_at = %s, updated_at = %s WHERE resource_id = %s "
                            "AND ended_at IS NULL AND hourly_usd <> 0 AND id <> %s", (at, at, resource_id, keep or ""))

    def reconcile(self, entry_id: str, *, happened: bool, resource_id: str | None, at: float) -> None:
        self._update(f"UPDATE {SCHEMA}.reservations SET state = %s, resource_id = coalesce(%s, resource_id), "
                     "updated_at = %s WHERE id = %s AND state = 'uncertain'",
                     ("settled" if happened else "released", resource_id, at, entry_id))

    # --- tokens and approvals ---------------------------------------------------------------
    def spend_token(self, nonce: str, at: float | None = None) -> bool:
        when = time.time() if at is None else at
        inserted = self._run(lambda conn: conn.execute(
            f"INSERT INTO {SCHEMA}.used_tokens (nonce, at) VALUES (%s, %s) ON CONFLICT (nonce) DO NOTHING",
            (nonce, when)).rowcount)
        return inserted == 1

    @staticmethod
    def _lock_call(conn: psycopg.Connection[Any], session: str, key: str) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LOCK_CLASS_APPROVAL, f"{session}\n{key}"))

    def ask_approval(self, session: str, key: str, *, at: float, ttl: float) -> str:
        def work(conn: psycopg.Connection[Any]) -> str:
            self._lock_call(conn, session, key)
            row = conn.execute(_OPEN_APPROVAL, (session, key, at - ttl)).fetchone()
            if row is not None:
                return str(row[0])
            nonce = uuid.uuid4().hex[:12]
            conn.execute(f"INSERT INTO {SCHEMA}.approvals (nonce, session, key, state, created_at) "
                         "VALUES (%s, %s, %s, 'asked', %s)", (nonce, session, key, at))
            return nonce

        return self._run(work)

    def use_approval(self, session: str, key: str, *, at: float, ttl: float) -> bool:
        def work(conn: psycopg.Connection[Any]) -> bool:
            self._lock_call(conn, session, key)
            row = conn.execute(_OPEN_APPROVAL, (session, key, at - ttl)).fetchone()
            if row is not None:
                conn.execute(f"UPDATE {SCHEMA}.approvals SET state = 'used' WHERE nonce = %s", (row[0],))
            return row is not None

        return self._run(work)

    def close(self) -> None:
        self.audit_sink.close()
        if self._deferred:
            try:
                self._run(lambda conn: None)
            except LedgerUnavailable:
                log.error("shared ledger: %d update(s) could not be written before shutdown; those reservations keep "
                          "counting at their quote", len(self._deferred))
        self._db.close()
