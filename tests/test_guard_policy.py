"""The policy: DENY > CONFIRM > ALLOW, from settings and facts, with reasons for people."""

from __future__ import annotations

from decimal import Decimal

import pytest

from novita_mcp.guard import Decision, Effect, Plan, Quote, SpendFacts, decide
from novita_mcp.guard.ledger import Totals, day_bounds
from novita_mcp.guard.policy import Burner
from novita_mcp.settings import Settings

BILLABLE = frozenset({Effect.BILLABLE})
DESTRUCTIVE = frozenset({Effect.DESTRUCTIVE})
BOTH = frozenset({Effect.BILLABLE, Effect.DESTRUCTIVE})
NOON = day_bounds(1_790_000_000)[0] + 12 * 3600  # 12 hours left in the UTC day


def facts(session: str = "0", day: str = "0", balance: str | None = "1000", *, inflight: str = "0", auto: str = "0",
          open_rates: tuple = (), burners: tuple | None = None, now: float = NOON) -> SpendFacts:
    totals = Totals(session_usd=Decimal(session), day_usd=Decimal(day), inflight_usd=Decimal(inflight),
                    hourly_usd=sum((r for _, r in open_rates), Decimal(0)), auto_session_usd=Decimal(auto),
                    uncertain=0, open_rates=open_rates, now=now)
    return SpendFacts(totals, None if balance is None else Decimal(balance), burners)


RICH = facts()


def plan(usd: str | None = "0.05", recurring=None, gpus: int = 0) -> Plan:
    quote = None if usd is None else Quote(Decimal(usd), "test", recurring)
    return Plan(action="Do it", target="thing-1", quote=quote, gpus=gpus)


def test_a_cheap_one_off_call_is_allowed() -> None:
    assert decide(Settings(), "t", BILLABLE, plan("0.10"), RICH).decision is Decision.ALLOW


def test_above_the_threshold_needs_confirmation() -> None:
    verdict = decide(Settings(), "t", BILLABLE, plan("0.11"), RICH)
    assert verdict.decision is Decision.CONFIRM and "$0.10" in verdict.reason


def test_a_recurring_charge_is_always_confirmed_however_small() -> None:
    verdict = decide(Settings(), "t", BILLABLE, plan("0.01", recurring="hour"), RICH)
    assert verdict.decision is Decision.CONFIRM and "hour" in verdict.reason


def test_destructive_is_confirmed_even_when_free() -> None:
    assert decide(Settings(), "t", DESTRUCTIVE, plan(None), RICH).decision is Decision.CONFIRM


@pytest.mark.parametrize(
    ("settings", "the_plan", "facts", "needle"),
    [
        (Settings(read_only=True), plan(), RICH, "read-only"),
        (Settings(deny_tools=["t"]), plan(), RICH, "NOVITA_MCP_DENY_TOOLS"),
        (Settings(allow_tools=["other"]), plan(), RICH, "NOVITA_MCP_ALLOW_TOOLS"),
        (Settings(max_gpus=2), plan(gpus=4), RICH, "4 GPUs"),
        (Settings(max_call_usd=Decimal(1)), plan("1.5"), RICH, "per-call cap"),
        (Settings(session_budget_usd=Decimal(5)), plan("2"), facts("4", "4", "100"), "session budget"),
        (Settings(daily_budget_usd=Decimal(5)), plan("2"), facts("0", "4", "100"), "today's budget"),
        (Settings(), plan("3"), facts("0", "0", "1.25"), "$1.75 is missing"),
        # Calls still in flight hold part of the balance: Novita has not charged them yet.
        (Settings(), plan("1"), facts("0", "0", "3", inflight="2.5"), "held by calls still in flight"),
        # An hourly charge counts its rate for the rest of the UTC day: 12 h x $0.35 = $4.20 > $4.
        (Settings(daily_budget_usd=Decimal(4)), plan("0.35", recurring="hour"), RICH, "until the end of the UTC day"),
        # ... and for the session, its first hour.
        (Settings(session_budget_usd=Decimal("0.30")), plan("0.35", recurring="hour"), RICH, "its first hour"),
        # The hourly cap counts what Novita shows running plus what is in flight and not listed yet.
        (Settings(max_hourly_usd=Decimal(2)), plan("0.5", recurring="hour"),
         facts(open_rates=(("i-1", Decimal("1")), (None, Decimal("0.4"))),
               burners=(Burner("i-1", "instance i-1 'a'", Decimal("1")), Burner("i-2", "instance i-2 'b'", Decimal("0.2")))),
         "already burns $1.60/h"),
    ],
)
def test_hard_limits_deny_with_the_reason(settings, the_plan, facts, needle) -> None:
    verdict = decide(settings, "t", BOTH, the_plan, facts)
    assert verdict.decision is Decision.DENY
    assert needle in verdict.reason


def test_deny_wins_over_confirmation_mode_none() -> None:
    settings = Settings(confirm_mode="none", max_call_usd=Decimal(1))
    assert decide(settings, "t", BILLABLE, plan("2"), RICH).decision is Decision.DENY
    assert decide(settings, "t", BOTH, plan("0.5"), RICH).decision is Decision.ALLOW


def test_read_tools_are_always_allowed() -> None:
    assert decide(Settings(read_only=True), "t", frozenset({Effect.READ}), plan(), RICH).decision is Decision.ALLOW


def test_the_hourly_cap_names_what_to_stop_and_lets_a_fitting_rate_through() -> None:
    running = (Burner("i-9", "instance i-9 'big'", Decimal("1.5")),)
    settings = Settings(max_hourly_usd=Decimal(2))
    refused = decide(settings, "t", BILLABLE, plan("0.6", recurring="hour"), facts(burners=running))
    assert refused.decision is Decision.DENY and "instance i-9 'big' at $1.50/h" in refused.reason
    fits = decide(settings, "t", BILLABLE, plan("0.5", recurring="hour"), facts(burners=running))
    assert fits.decision is Decision.CONFIRM


def test_past_the_auto_approve_allowance_cheap_calls_need_confirmation() -> None:
    settings = Settings(auto_approve_session_usd=Decimal("1.00"))
    assert decide(settings, "t", BILLABLE, plan("0.05"), facts(auto="0.95")).decision is Decision.ALLOW
    verdict = decide(settings, "t", BILLABLE, plan("0.05"), facts(auto="0.96"))
    assert verdict.decision is Decision.CONFIRM and "NOVITA_MCP_AUTO_APPROVE_SESSION_USD" in verdict.reason


def test_what_the_plan_calls_irreversible_is_confirmed_whatever_its_price() -> None:
    free_but_final = Plan(action="Grow the disk", target="i-1", quote=Quote(Decimal(0), "no change in price"),
                          irreversible="a disk cannot be shrunk again")
    verdict = decide(Settings(), "t", BILLABLE, free_but_final, RICH)
    assert verdict.decision is Decision.CONFIRM and "cannot be undone" in verdict.reason


def test_tool_lists_match_names_case_insensitively_with_dashes_as_underscores() -> None:
    denied = decide(Settings(deny_tools=["Create-Instance"]), "create_instance", BILLABLE, plan(), RICH)
    assert denied.decision is Decision.DENY
    allowed = decide(Settings(allow_tools=["CREATE-instance"]), "create_instance", BILLABLE, plan(), RICH)
    assert allowed.decision is Decision.ALLOW
