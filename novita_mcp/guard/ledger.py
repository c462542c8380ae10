"""The spend ledger: what was quoted and charged, and which tokens were spent.

The only state shared between replicas sits behind ``SpendLedger``; the default is SQLite
in the state directory (WAL mode, so several processes on one host can share it).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol

__all__ = ["SpendLedger", "SQLiteLedger", "utc_day"]


def utc_day(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")


class SpendLedger(Protocol):
    def record(self, *, session: str, tool: str, quote_usd: Decimal, charged_usd: Decimal | None,
               resource_id: str | None, at: float | None = None) -> None: ...

    def session_spent(self, session: str) -> Decimal: ...

    def day_spent(self, day: str) -> Decimal: ...

    def spend_token(self, nonce: str, at: float | None = None) -> bool:
        """Mark a token nonce used; False if it was used before."""
        ...

    def close(self) -> None: ...


class SQLiteLedger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS spend (
                id INTEGER PRIMARY KEY, at REAL NOT NULL, day TEXT NOT NULL, session TEXT NOT NULL,
                tool TEXT NOT NULL, quote_usd TEXT NOT NULL, charged_usd TEXT, resource_id TEXT
            );
            CREATE INDEX IF NOT EXISTS spend_day ON spend(day);
            CREATE INDEX IF NOT EXISTS spend_session ON spend(session);
            CREATE TABLE IF NOT EXISTS used_tokens (nonce TEXT PRIMARY KEY, at REAL NOT NULL);
            """
        )

    def __repr__(self) -> str:
        return f"SQLiteLedger({str(self.path)!r})"

    def record(self, *, session: str, tool: str, quote_usd: Decimal, charged_usd: Decimal | None,
               resource_id: str | None, at: float | None = None) -> None:
        at = time.time() if at is None else at
        with self._lock:
            self._db.execute(
                "INSERT INTO spend (at, day, session, tool, quote_usd, charged_usd, resource_id) VALUES (?,?,?,?,?,?,?)",
                (at, utc_day(at), session, tool, str(quote_usd), None if charged_usd is None else str(charged_usd),
                 resource_id),
            )

    def _sum(self, where: str, value: str) -> Decimal:
        with self._lock:
            rows = self._db.execute(f"SELECT quote_usd, charged_usd FROM spend WHERE {where} = ?", (value,)).fetchall()
        # What was actually charged when known, else what was quoted.
        return sum((Decimal(charged if charged is not None else quote) for quote, charged in rows), Decimal(0))

    def session_spent(self, session: str) -> Decimal:
        return self._sum("session", session)

    def day_spent(self, day: str) -> Decimal:
        return self._sum("day", day)

    def spend_token(self, nonce: str, at: float | None = None) -> bool:
        with self._lock:
            try:
                self._db.execute("INSERT INTO used_tokens (nonce, at) VALUES (?, ?)",
                                 (nonce, time.time() if at is None else at))
            except sqlite3.IntegrityError:
                return False
        return True

    def close(self) -> None:
        with self._lock:
            self._db.close()
