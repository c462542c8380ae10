"""The policy: DENY > CONFIRM > ALLOW, from settings and facts, with reasons for people."""

from __future__ import annotations

from decimal import Decimal

import pytest

from novita_mcp.guard import Decision, Effect, Plan, Quote, SpendFacts, decide
from novita_mcp.settings import Settings

BILLABLE = frozenset({Effect.BILLABLE})
DESTRUCTIVE = frozenset({Effect.DESTRUCTIVE})
BOTH = frozenset({Effect.BILLABLE, Effect.DESTRUCTIVE})
RICH = SpendFacts(Decimal(0), Decimal(0), Decimal(1000))


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
        (Settings(session_budget_usd=Decimal(5)), plan("2"), SpendFacts(Decimal(4), Decimal(4), Decimal(100)), "session budget"),
        (Settings(daily_budget_usd=Decimal(5)), plan("2"), SpendFacts(Decimal(0), Decimal(4), Decimal(100)), "today's budget"),
        (Settings(), plan("3"), SpendFacts(Decimal(0), Decimal(0), Decimal("1.25")), "$1.75 is missing"),
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
