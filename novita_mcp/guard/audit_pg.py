"""The audit log's second copy, in the shared database: one place where an operator queries every replica.

Each replica still writes its JSON lines (the record of last resort). Records handed to the
sink are already redacted; a background thread inserts them in batches, so a guarded call
never waits for the audit table, and an outage of the database only delays them: they are
kept in memory (up to ``CAPACITY``, oldest dropped first and counted) and written when it is
back. ``close`` writes what is left, within a bound.

    SELECT at, replica, event, tool, record->>'reason' FROM novita_mcp.audit ORDER BY id DESC LIMIT 20;
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections import deque
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from novita_mcp.guard.pg import RETRY_AFTER, SCHEMA, Database, LedgerUnavailable

__all__ = ["PostgresAuditSink", "CAPACITY"]

log = logging.getLogger("novita_mcp.guard")

CAPACITY = 10_000
BATCH = 200


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _at(record: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(record["time"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None


class PostgresAuditSink:
    """Callable with one (redacted) audit record; thread-safe; never raises to the caller."""

    def __init__(self, db: Database, *, replica: str | None = None) -> None:
        self._db = db
        self.replica = replica or f"{socket.gethostname()}:{os.getpid()}"
        self._queue: deque[dict[str, Any]] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._closing = False
        self.dropped = 0
        self._thread = threading.Thread(target=self._loop, name="novita-mcp-audit", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"PostgresAuditSink({self._db.where}, replica={self.replica!r})"

    def __call__(self, record: dict[str, Any]) -> None:
        with self._cond:
            if len(self._queue) >= CAPACITY:
                self._queue.popleft()
                self.dropped += 1
                if self.dropped == 1:
                    log.warning("shared audit table unreachable for long: dropping its oldest records (the JSON "
                                "lines of this replica still have them)")
            self._queue.append(dict(record))
            self._cond.notify()

    def _insert(self, batch: list[dict[str, Any]]) -> None:
        rows = [(_at(r), self.replica, str(r.get("event", "")), str(r.get("tool", "")), Jsonb(r, dumps=_dumps))
                for r in batch]

        def work(conn: Any) -> None:
            with conn.cursor() as cur:
                cur.executemany(f"INSERT INTO {SCHEMA}.audit (at, replica, event, tool, record) "
                                "VALUES (coalesce(%s, now()), %s, %s, %s, %s)", rows)

        self._db.run(work)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    return
                batch = [self._queue.popleft() for _ in range(min(BATCH, len(self._queue)))]
                self._busy = True
            try:
                self._insert(batch)
            except LedgerUnavailable:
                with self._cond:
                    self._queue.extendleft(reversed(batch))
                    self._busy = False
                    self._cond.notify_all()
                    if self._closing:
                        return
                    self._cond.wait(RETRY_AFTER)  # woken early by close()
                continue
            except Exception:  # never let the thread die: the JSON lines still hold the record
                log.exception("writing %d audit record(s) to the shared database failed", len(batch))
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every record handed in so far is written; False if that took longer than ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def close(self, timeout: float = 3.0) -> None:
        if not self.flush(timeout):
            log.error("shared audit table: %d record(s) not written before shutdown (they are in the JSON lines)",
                      len(self._queue))
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout=1)
