"""The spend ledger survives restarts and enforces single use of tokens."""

from __future__ import annotations

from decimal import Decimal

from novita_mcp.guard import SQLiteLedger
from novita_mcp.guard.ledger import utc_day


def test_spend_survives_a_restart_and_counts_charges_over_quotes(tmp_path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = SQLiteLedger(path)
    ledger.record(session="s1", tool="chat", quote_usd=Decimal("0.5"), charged_usd=Decimal("0.2"), resource_id=None, at=1000)
    ledger.record(session="s1", tool="img", quote_usd=Decimal("0.3"), charged_usd=None, resource_id="t1", at=1000)
    ledger.close()
    again = SQLiteLedger(path)
    assert again.day_spent(utc_day(1000)) == Decimal("0.5")
    assert again.session_spent("s1") == Decimal("0.5") and again.session_spent("s2") == 0
    assert again.day_spent(utc_day(1000 + 86400)) == 0


def test_a_token_nonce_is_spent_once_across_instances(tmp_path) -> None:
    a, b = SQLiteLedger(tmp_path / "l.db"), SQLiteLedger(tmp_path / "l.db")
    assert a.spend_token("n1") is True
    assert b.spend_token("n1") is False
