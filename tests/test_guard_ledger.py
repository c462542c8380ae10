"""The spend ledger: reserve then settle, uncertain spend, recurring charges, tokens and approvals."""

from __future__ import annotations

import threading
from decimal import Decimal

from novita_mcp.guard import SQLiteLedger
from novita_mcp.guard.ledger import Reservation, Totals, day_bounds

NOON = day_bounds(1_790_000_000)[0] + 12 * 3600


def take(cap: str):
    """A judge that allows while the day's committed total plus 1 stays within ``cap``."""

    def judge(totals: Totals) -> tuple[bool, bool]:
        ok = totals.day_usd + 1 <= Decimal(cap)
        return ok, ok

    return judge


def test_spend_survives_a_restart_and_counts_charges_over_quotes(tmp_path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = SQLiteLedger(path)
    _, a = ledger.reserve(Reservation("s1", "chat", Decimal("0.5")), lambda t: (None, True), at=NOON)
    _, b = ledger.reserve(Reservation("s1", "img", Decimal("0.3")), lambda t: (None, True), at=NOON)
    ledger.settle(a, charged_usd=Decimal("0.2"), resource_id=None, at=NOON)
    ledger.close()
    again = SQLiteLedger(path)
    # What was charged when known (0.2), else what is reserved (0.3).
    assert again.totals("s1", at=NOON).day_usd == Decimal("0.5")
    assert again.totals("s1", at=NOON).session_usd == Decimal("0.5")
    assert again.totals("s2", at=NOON).session_usd == 0
    assert again.totals("s1", at=NOON + 86400).day_usd == 0
    assert b is not None


def test_a_released_reservation_stops_counting_and_an_uncertain_one_keeps_counting(tmp_path) -> None:
    ledger = SQLiteLedger(tmp_path / "l.db")
    _, refused = ledger.reserve(Reservation("s", "t", Decimal(2)), lambda t: (None, True), at=NOON)
    _, unknown = ledger.reserve(Reservation("s", "t", Decimal(3)), lambda t: (None, True), at=NOON)
    ledger.release(refused, at=NOON)
    ledger.mark_uncertain(unknown, resource_id=None, at=NOON)
    totals = ledger.totals("s", at=NOON)
    assert totals.day_usd == 3 and totals.inflight_usd == 3 and totals.uncertain == 1
    ledger.reconcile(unknown, happened=False, resource_id=None, at=NOON)
    assert ledger.totals("s", at=NOON).day_usd == 0


def test_an_hourly_charge_counts_to_the_end_of_the_day_and_stops_when_ended(tmp_path) -> None:
    ledger = SQLiteLedger(tmp_path / "l.db")
    _, entry = ledger.reserve(Reservation("s", "create", Decimal(0), Decimal("0.5")), lambda t: (None, True), at=NOON)
    ledger.settle(entry, charged_usd=None, resource_id="i-1", at=NOON)
    totals = ledger.totals("s", at=NOON)
    assert totals.day_usd == Decimal("6.0")  # 12 h left x $0.50
    assert totals.session_usd == Decimal("0.5")  # burned 0 h + one hour ahead
    assert totals.hourly_usd == Decimal("0.5") and totals.open_rates == (("i-1", Decimal("0.5")),)
    # Still running the next day: the whole day counts.
    assert ledger.totals("s", at=NOON + 86400).day_usd == Decimal("12.0")
    ledger.end_recurring("i-1", at=NOON + 2 * 3600)
    ended = ledger.totals("s", at=NOON + 3 * 3600)
    assert ended.day_usd == Decimal("1.0") and ended.session_usd == Decimal("1.0") and ended.hourly_usd == 0


def test_concurrent_reservations_from_two_connections_never_pass_the_cap(tmp_path) -> None:
    path = tmp_path / "l.db"
    ledgers = [SQLiteLedger(path), SQLiteLedger(path)]
    granted: list[bool] = []

    def worker(ledger: SQLiteLedger) -> None:
        for _ in range(10):
            ok, _ = ledger.reserve(Reservation("s", "t", Decimal(1)), take("7"), at=NOON)
            granted.append(ok)

    threads = [threading.Thread(target=worker, args=(ledger,)) for ledger in ledgers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert granted.count(True) == 7
    assert ledgers[0].totals("s", at=NOON).day_usd == 7


def test_a_token_nonce_is_spent_once_across_instances(tmp_path) -> None:
    a, b = SQLiteLedger(tmp_path / "l.db"), SQLiteLedger(tmp_path / "l.db")
    assert a.spend_token("n1") is True
    assert b.spend_token("n1") is False


def test_an_approval_is_asked_once_per_call_used_once_and_expires(tmp_path) -> None:
    ledger = SQLiteLedger(tmp_path / "l.db")
    first = ledger.ask_approval("s", "k", at=NOON, ttl=600)
    assert ledger.ask_approval("s", "k", at=NOON + 5, ttl=600) == first  # the same question on the next round
    assert ledger.ask_approval("other", "k", at=NOON, ttl=600) != first  # another session asks its own
    assert ledger.use_approval("s", "k", at=NOON + 10, ttl=600) is True
    assert ledger.use_approval("s", "k", at=NOON + 11, ttl=600) is False  # replayed
    assert ledger.ask_approval("s", "k", at=NOON + 12, ttl=600) != first  # a new question, a new number
    ledger.ask_approval("s", "late", at=NOON, ttl=600)
    assert ledger.use_approval("s", "late", at=NOON + 601, ttl=600) is False
