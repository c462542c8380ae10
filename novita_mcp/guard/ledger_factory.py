"""Which ledger a server uses, from ``NOVITA_MCP_LEDGER_URL``.

* unset: SQLite in the state directory (``NOVITA_MCP_LEDGER_PATH``), the embedded default;
* ``sqlite:///path/to/ledger.sqlite3``: SQLite at that path (everything after ``sqlite://``;
  three slashes make it absolute);
* ``postgresql://user:password@host:5432/dbname`` (or ``postgres://``, with any libpq
  parameters as the query string): the shared ledger for replicas, which also receives a
  copy of the audit log.

The URL can carry a password: it is never logged, echoed in an error or shown in a repr.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from novita_mcp.guard.ledger import SpendLedger, SQLiteLedger

if TYPE_CHECKING:
    from novita_mcp.settings import Settings

__all__ = ["open_ledger", "ledger_kind", "LedgerURLError", "AuditSink"]

AuditSink = Callable[[dict[str, Any]], None]

log = logging.getLogger("novita_mcp.guard")


class LedgerURLError(ValueError):
    """NOVITA_MCP_LEDGER_URL cannot be used; the text never contains the URL itself."""


def _url(settings: Settings) -> str:
    secret = settings.ledger_url
    return secret.get_secret_value().strip() if secret is not None else ""


def ledger_kind(settings: Settings) -> str:
    """``sqlite`` or ``postgresql``: which ledger these settings choose (raises LedgerURLError)."""
    url = _url(settings)
    if not url:
        return "sqlite"
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    if scheme == "sqlite":
        return "sqlite"
    raise LedgerURLError("NOVITA_MCP_LEDGER_URL must start with postgresql:// (shared, for replicas) or sqlite:/// "
                         f"(one host){'' if not scheme else f'; got a {scheme}:// URL'}")


def open_ledger(settings: Settings) -> tuple[SpendLedger, AuditSink | None]:
    """The ledger for one server lifespan, and where audit records also go (None: JSON lines only)."""
    kind = ledger_kind(settings)
    url = _url(settings)
    if settings.sandbox and url:
        # Sandbox money is not real: it never goes into the ledger that guards the real account.
        log.warning("--sandbox: NOVITA_MCP_LEDGER_URL is ignored; the sandbox keeps its own ledger in the state dir")
        return SQLiteLedger(settings.resolved_ledger_path), None
    if kind == "sqlite":
        if not url:
            return SQLiteLedger(settings.resolved_ledger_path), None
        path = unquote(url[len("sqlite://"):])
        if not path or path == "/":
            raise LedgerURLError("NOVITA_MCP_LEDGER_URL=sqlite:/// needs a file path, e.g. sqlite:///var/lib/novita-mcp/"
                                 "ledger.sqlite3")
        return SQLiteLedger(Path(path).expanduser()), None
    try:
        from novita_mcp.guard.ledger_pg import PostgresLedger
    except ImportError:
        raise LedgerURLError("NOVITA_MCP_LEDGER_URL is a PostgreSQL URL but psycopg is not installed; install "
                             "novita-mcp[postgres]") from None
    ledger = PostgresLedger(url)
    return ledger, ledger.audit_sink
