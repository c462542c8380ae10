"""The spend ledger: reservations and their settlement, spent token nonces, pending approvals.

Every guarantee about money is a sum over this ledger, so the sum and the decision that
depends on it happen in one transaction: ``reserve`` reads the totals, asks the (pure)
judge, and writes the reservation before anyone else can read. Concurrent calls, even from
other processes sharing the file, are serialised and can never jointly exceed a cap.

A reservation is one row with a ``state``:

* ``reserved``  - decided, the request to Novita not yet answered;
* ``settled``   - done; ``upfront_usd`` is now the actual charge;
* ``uncertain`` - the request may have reached Novita but no answer came: it counts as
  spent until it is reconciled from Novita's own records;
* ``released``  - Novita refused, nothing happened: it no longer counts.

A row may also carry an hourly rate (an instance, an endpoint): it counts as it burns -
from when it was reserved until ``ended_at`` (stopped or deleted through this server), and
for a running resource, to the end of the budget window (the rest of the UTC day; one hour
ahead for a session, which has no end).

The default implementation is SQLite in the state directory (WAL mode, ``BEGIN IMMEDIATE``
for the decision, so several processes on one host share it safely).
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol, TypeVar

__all__ = [
    "SpendLedger", "SQLiteLedger", "Reservation", "Totals", "Entry", "utc_day", "day_bounds", "committed",
    "SESSION_LOOKAHEAD_HOURS",
]

# A session has no end to project a running resource to: count what it burned plus this many hours.
SESSION_LOOKAHEAD_HOURS = 1
_ZERO = Decimal(0)
T = TypeVar("T")


def utc_day(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")


def day_bounds(at: float) -> tuple[float, float]:
    """Start and end (epoch seconds) of the UTC day that contains ``at``."""
    start = datetime.fromtimestamp(at, UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    return start, start + 86400


@dataclass(frozen=True)
class Reservation:
    """What a decided call may spend: once now, and/or per hour from now on."""

    session: str
    tool: str
    upfront_usd: Decimal
    hourly_usd: Decimal = _ZERO
    auto: bool = False  # approved by the auto-approve threshold rather than by the user
    check: str | None = None  # the read that tells whether it happened, if its outcome is ever unknown


@dataclass(frozen=True)
class Entry:
    id: str
    session: str
    tool: str
    state: str
    upfront_usd: Decimal
    hourly_usd: Decimal
    started_at: float
    ended_at: float | None
    auto: bool
    resource_id: str | None
    check: str | None


def _hours(start: float, end: float) -> Decimal:
    return Decimal(str(max(0.0, end - start))) / 3600


def committed(entries: list[Entry], *, session: str, now: float) -> Totals:
    """The totals that the policy compares with the caps, from the counting entries."""
    day_start, day_end = day_bounds(now)
    session_usd = day_usd = inflight = hourly = auto = _ZERO
    uncertain = 0
    open_rates: list[tuple[str | None, Decimal]] = []
    for e in entries:
        mine = e.session == session
        if e.state in ("reserved", "uncertain"):
            inflight += e.upfront_usd
            uncertain += e.state == "uncertain"
        if e.started_at >= day_start:
            day_usd += e.upfront_usd
        if mine:
            session_usd += e.upfront_usd
            if e.auto:
                auto += e.upfront_usd
        if e.hourly_usd:
            end = e.ended_at
            day_usd += e.hourly_usd * _hours(max(e.started_at, day_start), min(end if end is not None else day_end,
                                                                               day_end))
            if mine:
                horizon = end if end is not None else now + SESSION_LOOKAHEAD_HOURS * 3600
                session_usd += e.hourly_usd * _hours(e.started_at, horizon)
            if end is None:
                hourly += e.hourly_usd
                open_rates.append((e.resource_id, e.hourly_usd))
    return Totals(session_usd=session_usd, day_usd=day_usd, inflight_usd=inflight, hourly_usd=hourly,
                  auto_session_usd=auto, uncertain=uncertain, open_rates=tuple(open_rates), now=now)


@dataclass(frozen=True)
class Totals:
    """What is committed, as of ``now``: the facts every cap is checked against."""

    session_usd: Decimal  # this session: one-off spend + recurring burned and one hour ahead
    day_usd: Decimal  # this UTC day: one-off spend + recurring to the end of the day
    inflight_usd: Decimal  # reserved or uncertain: not yet visible in Novita's balance
    hourly_usd: Decimal  # the run-rate of recurring charges started through this server and not ended
    auto_session_usd: Decimal  # what ran on the auto-approve threshold in this session
    uncertain: int
    open_rates: tuple[tuple[str | None, Decimal], ...]
    now: float


class SpendLedger(Protocol):
    def reserve(self, reservation: Reservation, judge: Callable[[Totals], tuple[T, bool]], *,
                at: float) -> tuple[T, str | None]:
        """In one transaction: totals -> ``judge`` -> (verdict, write?); the new entry's id if written."""
        ...

    def settle(self, entry_id: str, *, charged_usd: Decimal | None, resource_id: str | None, at: float) -> None: ...

    def release(self, entry_id: str, *, at: float) -> None: ...

    def mark_uncertain(self, entry_id: str, *, resource_id: str | None, at: float) -> None: ...

    def end_recurring(self, resource_id: str, *, at: float, keep: str | None = None) -> int:
        """A resource stopped, was deleted or re-priced: its hourly charges stop counting from ``at``
        (all but the entry ``keep``, the new rate of a re-priced resource)."""
        ...

    def totals(self, session: str, *, at: float) -> Totals: ...

    def entries(self, *, state: str | None = None, session: str | None = None) -> list[Entry]: ...

    def reconcile(self, entry_id: str, *, happened: bool, resource_id: str | None, at: float) -> None:
        """An uncertain entry, checked against Novita's records: settled if it happened, else released."""
        ...

    def spend_token(self, nonce: str, at: float | None = None) -> bool:
        """Mark a token nonce used; False if it was used before."""
        ...

    def ask_approval(self, session: str, key: str, *, at: float, ttl: float) -> str:
        """The open approval for this session and call (its nonce), opened now if there is none."""
        ...

    def use_approval(self, session: str, key: str, *, at: float, ttl: float) -> bool:
        """Consume the open approval for this session and call; False if there is none (used, expired)."""
        ...

    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS reservations (
    id TEXT PRIMARY KEY, session TEXT NOT NULL, tool TEXT NOT NULL, state TEXT NOT NULL,
    upfront_usd TEXT NOT NULL, hourly_usd TEXT NOT NULL, started_at REAL NOT NULL, ended_at REAL,
    auto INTEGER NOT NULL, resource_id TEXT, check_with TEXT, updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS reservations_started ON reservations(started_at);
CREATE INDEX IF NOT EXISTS reservations_resource ON reservations(resource_id);
CREATE TABLE IF NOT EXISTS used_tokens (nonce TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS approvals (
    nonce TEXT PRIMARY KEY, session TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS approvals_key ON approvals(session, key, state);
"""
# Entries that still count: all but released ones; settled one-off spend older than two days
# can no longer affect a day or a one-hour session window, but recurring rows always can.
_COUNTING = ("SELECT id, session, tool, state, upfront_usd, hourly_usd, started_at, ended_at, auto, resource_id, "
             "check_with FROM reservations WHERE state != 'released' AND (started_at >= ? OR hourly_usd != '0' "
             "OR session = ?)")


def _entry(row: tuple) -> Entry:
    rid, session, tool, state, upfront, hourly, started, ended, auto, resource, check = row
    return Entry(rid, session, tool, state, Decimal(upfront), Decimal(hourly), started, ended, bool(auto), resource,
                 check)


class SQLiteLedger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"SQLiteLedger({str(self.path)!r})"

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken before reading: every other writer (any process) waits."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _counting(self, session: str, at: float) -> list[Entry]:
        day_start, _ = day_bounds(at)
        return [_entry(r) for r in self._db.execute(_COUNTING, (day_start - 86400, session)).fetchall()]

    def reserve(self, reservation: Reservation, judge: Callable[[Totals], tuple[T, bool]], *,
                at: float) -> tuple[T, str | None]:
        with self._immediate() as db:
            verdict, write = judge(committed(self._counting(reservation.session, at), session=reservation.session,
                                             now=at))
            entry_id = None
            if write:
                entry_id = uuid.uuid4().hex
                r = reservation
                db.execute(
                    "INSERT INTO reservations (id, session, tool, state, upfront_usd, hourly_usd, started_at, "
                    "ended_at, auto, resource_id, check_with, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (entry_id, r.session, r.tool, "reserved", str(r.upfront_usd),
                     str(r.hourly_usd) if r.hourly_usd else "0", at, None, int(r.auto), None, r.check, at))
        return verdict, entry_id

    def _update(self, sql: str, params: tuple) -> int:
        with self._lock:
            return self._db.execute(sql, params).rowcount

    def settle(self, entry_id: str, *, charged_usd: Decimal | None, resource_id: str | None, at: float) -> None:
        self._update("UPDATE reservations SET state='settled', upfront_usd=COALESCE(?, upfront_usd), "
                     "resource_id=COALESCE(?, resource_id), updated_at=? WHERE id=?",
                     (None if charged_usd is None else str(charged_usd), resource_id, at, entry_id))

    def release(self, entry_id: str, *, at: float) -> None:
        self._update("UPDATE reservations SET state='released', updated_at=? WHERE id=?", (at, entry_id))

    def mark_uncertain(self, entry_id: str, *, resource_id: str | None, at: float) -> None:
        self._update("UPDATE reservations SET state='uncertain', resource_id=COALESCE(?, resource_id), updated_at=? "
                     "WHERE id=?", (resource_id, at, entry_id))

    def end_recurring(self, resource_id: str, *, at: float, keep: str | None = None) -> int:
        return self._update("UPDATE reservations SET ended_at=?, updated_at=? WHERE resource_id=? AND ended_at IS NULL "
                            "AND hourly_usd != '0' AND id != ?", (at, at, resource_id, keep or ""))

    def totals(self, session: str, *, at: float) -> Totals:
        with self._lock:
            entries = self._counting(session, at)
        return committed(entries, session=session, now=at)

    def entries(self, *, state: str | None = None, session: str | None = None) -> list[Entry]:
        sql = ("SELECT id, session, tool, state, upfront_usd, hourly_usd, started_at, ended_at, auto, resource_id, "
               "check_with FROM reservations WHERE (? IS NULL OR state = ?) AND (? IS NULL OR session = ?) "
               "ORDER BY started_at")
        with self._lock:
            return [_entry(r) for r in self._db.execute(sql, (state, state, session, session)).fetchall()]

    def reconcile(self, entry_id: str, *, happened: bool, resource_id: str | None, at: float) -> None:
        state = "settled" if happened else "released"
        self._update("UPDATE reservations SET state=?, resource_id=COALESCE(?, resource_id), updated_at=? "
                     "WHERE id=? AND state='uncertain'", (state, resource_id, at, entry_id))

    def spend_token(self, nonce: str, at: float | None = None) -> bool:
        with self._lock:
            try:
                self._db.execute("INSERT INTO used_tokens (nonce, at) VALUES (?, ?)",
                                 (nonce, time.time() if at is None else at))
            except sqlite3.IntegrityError:
                return False
        return True

    _OPEN_APPROVAL = ("SELECT nonce FROM approvals WHERE session=? AND key=? AND state='asked' AND created_at > ? "
                      "ORDER BY created_at LIMIT 1")

    def ask_approval(self, session: str, key: str, *, at: float, ttl: float) -> str:
        with self._immediate() as db:
            row = db.execute(self._OPEN_APPROVAL, (session, key, at - ttl)).fetchone()
            if row is not None:
                return str(row[0])
            nonce = uuid.uuid4().hex[:12]
            db.execute("INSERT INTO approvals (nonce, session, key, state, created_at) VALUES (?,?,?,'asked',?)",
                       (nonce, session, key, at))
        return nonce

    def use_approval(self, session: str, key: str, *, at: float, ttl: float) -> bool:
        with self._immediate() as db:
            row = db.execute(self._OPEN_APPROVAL, (session, key, at - ttl)).fetchone()
            if row is not None:
                db.execute("UPDATE approvals SET state='used' WHERE nonce=?", (row[0],))
        return row is not None

    def close(self) -> None:
        with self._lock:
            self._db.close()
