"""The shared PostgreSQL database behind replicas: a small pool, its schema, and failing closed.

Everything here runs synchronously on the caller's thread (the ledger protocol is
synchronous, as SQLite's is), so every wait is bounded: connecting, waiting for a pooled
connection, waiting for a lock and running a statement each have a short timeout. When
the database cannot be reached, ``run`` raises :class:`LedgerUnavailable` - a tool error
whose text says that guarded calls are refused until the database is back - and for the
next ``RETRY_AFTER`` seconds it fails at once instead of waiting again, so one outage does
not stall every request of the replica. After that, one cheap connection attempt decides
whether to go back to the pool. Nothing needs a restart.

The schema is created and migrated by the server itself, under a transaction-scoped
advisory lock, so replicas that start at the same moment migrate once, one after the other.
Migrations only ever add (tables, columns, indexes): a replica still running the previous
version keeps working on a newer schema during a rolling upgrade.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from mcp.server.mcpserver.exceptions import ToolError
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

__all__ = ["Database", "LedgerUnavailable", "SCHEMA", "SCHEMA_VERSION", "MIGRATIONS", "describe_url",
           "lock_key"]

log = logging.getLogger("novita_mcp.guard.pg")

T = TypeVar("T")

SCHEMA = "novita_mcp"
CONNECT_TIMEOUT = 3  # seconds to open a connection (libpq connect_timeout; the URL may set its own)
POOL_TIMEOUT = 3.0  # seconds to wait for a pooled connection
RETRY_AFTER = 1.0  # after a failure, refuse at once for this long before trying the database again
POOL_MAX = 4  # per replica: the ledger's transactions are short and run one at a time per event loop
# Server-side bounds, so a stuck peer or a lost packet cannot hold a replica for long.
_OPTIONS = ("-c lock_timeout=3000 -c statement_timeout=5000 -c idle_in_transaction_session_timeout=10000")

# Advisory lock keys: (class, object). The class is 'NMCP'; objects below.
LOCK_CLASS = 0x4E4D4350
LOCK_MIGRATE = 0
LOCK_LEDGER = 1  # every reservation: the caps are sums over all sessions, so one lock decides them all
LOCK_CLASS_APPROVAL = LOCK_CLASS + 1  # per (session, call): objects are hashtext() of the key


def lock_key(name: str) -> tuple[int, int]:
    return LOCK_CLASS, {"migrate": LOCK_MIGRATE, "ledger": LOCK_LEDGER}[name]


# Version -> statements. Append only; never edit a shipped migration.
MIGRATIONS: dict[int, str] = {
    1: f"""
CREATE TABLE {SCHEMA}.reservations (
    id text PRIMARY KEY, session text NOT NULL, tool text NOT NULL,
    state text NOT NULL CHECK (state IN ('reserved', 'settled', 'uncertain', 'released')),
    upfront_usd numeric NOT NULL, hourly_usd numeric NOT NULL DEFAULT 0,
    started_at double precision NOT NULL, ended_at double precision,
    auto boolean NOT NULL, resource_id text, check_with text, updated_at double precision NOT NULL
);
CREATE INDEX reservations_started ON {SCHEMA}.reservations (started_at);
CREATE INDEX reservations_session ON {SCHEMA}.reservations (session);
CREATE INDEX reservations_resource ON {SCHEMA}.reservations (resource_id);
CREATE INDEX reservations_hourly ON {SCHEMA}.reservations (id) WHERE hourly_usd <> 0;
CREATE TABLE {SCHEMA}.used_tokens (nonce text PRIMARY KEY, at double precision NOT NULL);
CREATE TABLE {SCHEMA}.approvals (
    nonce text PRIMARY KEY, session text NOT NULL, key text NOT NULL, state text NOT NULL,
    created_at double precision NOT NULL
);
CREATE INDEX approvals_key ON {SCHEMA}.approvals (session, key, state);
CREATE TABLE {SCHEMA}.audit (
    id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), replica text NOT NULL,
    event text NOT NULL, tool text NOT NULL, record jsonb NOT NULL
);
CREATE INDEX audit_at ON {SCHEMA}.audit (at);
CREATE INDEX audit_tool ON {SCHEMA}.audit (tool, at);
""",
}
SCHEMA_VERSION = max(MIGRATIONS)


class LedgerUnavailable(ToolError):
    """The shared ledger cannot be reached: the call is refused (fail closed), in words for the agent."""

    def __init__(self, why: str) -> None:
        super().__init__(
            f"Refused: the shared spend ledger (PostgreSQL, NOVITA_MCP_LEDGER_URL) {why}, so budgets, confirmations "
            "and approvals cannot be checked. Calls that spend or change something are refused until it is back; "
            "read-only tools still work. Nothing was done.")


def describe_url(url: str) -> str:
    """Where the database is, for logs and reprs: never the password."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unparsable URL)"
    host = params.get("host") or "localhost"
    port = params.get("port") or "5432"
    return f"postgresql://{params.get('user') or ''}@{host}:{port}/{params.get('dbname') or ''}"


def _conninfo(url: str) -> str:
    params = conninfo_to_dict(url)
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT))
    params.setdefault("application_name", "novita-mcp")
    # A peer that vanished without closing the socket must not hold a replica for minutes.
    params.setdefault("tcp_user_timeout", "5000")
    params.setdefault("keepalives_idle", "10")
    params["options"] = f"{_OPTIONS} {params.get('options') or ''}".strip()
    return make_conninfo("", **params)


class Database:
    """One per server lifespan: the pool, the schema check, and whether the database is answering."""

    def __init__(self, url: str, *, max_size: int = POOL_MAX) -> None:
        self.where = describe_url(url)
        self._conninfo = _conninfo(url)
        self._password = str(conninfo_to_dict(url).get("password") or "")
        self._max_size = max_size
        self._pool = ConnectionPool(
            self._conninfo, min_size=1, max_size=max_size, open=False, timeout=POOL_TIMEOUT,
            # Give up reconnecting in the background quickly: the next request starts a fresh attempt,
            # so recovery follows the database instead of an ever longer backoff.
            reconnect_timeout=POOL_TIMEOUT, kwargs={"autocommit": True}, name="novita-mcp-ledger",
        )
        self._state = threading.Lock()
        self._down_until = 0.0  # monotonic; > now: refuse at once
        # Until a connection has worked, the first request probes directly: an absent server is
        # then a refusal in milliseconds rather than a wait on the pool.
        self._down = True
        self._why = ""
        self._schema_ok = False
        self._pool.open(wait=False)

    def __repr__(self) -> str:
        return f"Database({self.where})"

    # --- failing closed -------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        return text.replace(self._password, "***") if self._password else text

    def _mark_down(self, exc: BaseException) -> None:
        why = self._scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        with self._state:
            first = not self._down or not self._why
            self._down, self._why = True, why
            self._down_until = time.monotonic() + RETRY_AFTER
        if first:
            log.error("shared ledger at %s unreachable (%s): guarded calls are refused until it is back",
                      self.where, why)

    def _gate(self) -> None:
        """Refuse at once while the database is known to be down; probe it once the pause is over."""
        with self._state:
            if not self._down:
                return
            if time.monotonic() < self._down_until:
                raise LedgerUnavailable("cannot be reached")
            self._down_until = time.monotonic() + RETRY_AFTER  # one prober at a time
        self._probe()
        with self._state:
            recovered, self._down = bool(self._why), False
        if recovered:
            log.warning("shared ledger at %s is reachable again", self.where)

    def _probe(self) -> None:
        """One direct connection: it fails in milliseconds when the server refuses, where the pool would wait."""
        try:
            psycopg.connect(self._conninfo, autocommit=True).close()
        except psycopg.Error as exc:
            self._mark_down(exc)
            raise LedgerUnavailable("cannot be reached") from None
        self._pool.check()  # drop the connections an outage broke; new ones are opened as needed

    @property
    def is_down(self) -> bool:
        return self._down

    # --- running work -----------------------------------------------------------------------
    def run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``work(conn)`` in one transaction; LedgerUnavailable if the database cannot do it now.

        A pooled connection that a database restart broke fails before anything was committed,
        so the work is retried on another connection; a failure at commit is not retried (the
        outcome is unknown) and refuses the call.
        """
        self._gate()
        for attempt in range(self._max_size + 1):
            try:
                with self._pool.connection() as conn:
                    if not self._schema_ok:
                        self._migrate(conn)
                    committing = False
                    try:
                        with conn.transaction():
                            result = work(conn)
                            committing = True
                        return result
                    except psycopg.OperationalError:
                        if committing or not conn.broken or attempt == self._max_size:
                            raise
                # Only a connection broken before anything was committed gets here (the pool discards
                # it): a restarted server, or a gone one. Which, a direct connection tells at once.
                log.info("a pooled ledger connection was broken; checking the server")
                self._probe()
            except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled) as exc:
                # Busy, not gone: refuse this call, keep serving the next.
                log.warning("shared ledger busy: %s", self._scrub(str(exc)))
                raise LedgerUnavailable("is too busy to answer in time") from None
            except (psycopg.OperationalError, PoolTimeout) as exc:
                self._mark_down(exc)
                raise LedgerUnavailable("cannot be reached") from None
            except psycopg.Error as exc:
                log.error("shared ledger error: %s", self._scrub(f"{type(exc).__name__}: {exc}"))
                raise LedgerUnavailable("answered with an error") from None
        raise LedgerUnavailable("cannot be reached")  # pragma: no cover - the last attempt raises above

    def _migrate(self, conn: psycopg.Connection[Any]) -> None:
        with conn.transaction():
            # Replicas starting together wait here for each other; the second finds the work done.
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", lock_key("migrate"))
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            conn.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_version (version integer PRIMARY KEY, "
                         "applied_at timestamptz NOT NULL DEFAULT now())")
            row = conn.execute(f"SELECT coalesce(max(version), 0) FROM {SCHEMA}.schema_version").fetchone()
            current = int(row[0]) if row else 0
            for version in sorted(v for v in MIGRATIONS if v > current):
                conn.execute(MIGRATIONS[version])
                conn.execute(f"INSERT INTO {SCHEMA}.schema_version (version) VALUES (%s)", (version,))
                log.warning("shared ledger schema migrated to version %d", version)
        if current > SCHEMA_VERSION:
            log.warning("the shared ledger's schema (version %d) is newer than this replica knows (%d); "
                        "migrations only add, so it keeps working - upgrade this replica", current, SCHEMA_VERSION)
        self._schema_ok = True

    def ensure_schema(self) -> bool:
        """Create or migrate the schema now; False (logged) when the database cannot be reached yet."""
        try:
            self.run(lambda conn: None)
        except LedgerUnavailable:
            return False
        return True

    def close(self) -> None:
        self._pool.close(timeout=2)
