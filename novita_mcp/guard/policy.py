"""The one policy decision before any non-read call: DENY > CONFIRM > ALLOW.

Pure: it takes the facts (settings, the plan, what was spent, the live balance) and
returns a verdict with a reason written for the user. Nothing else decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from novita_mcp.guard.plan import Decision, Effect, Plan, Verdict, usd
from novita_mcp.settings import Settings

__all__ = ["decide", "SpendFacts"]


@dataclass(frozen=True)
class SpendFacts:
    session_spent_usd: Decimal
    day_spent_usd: Decimal
    balance_usd: Decimal | None  # None: not checked (no billable amount)


def _deny(reason: str, plan: Plan) -> Verdict:
    return Verdict(Decision.DENY, reason, plan)


def decide(settings: Settings, tool: str, effects: frozenset[Effect], plan: Plan, facts: SpendFacts) -> Verdict:
    if Effect.READ in effects and len(effects) == 1:
        return Verdict(Decision.ALLOW, "read-only tool", plan)
    if settings.read_only:
        return _deny("the server runs in read-only mode (NOVITA_MCP_READ_ONLY)", plan)
    if tool in settings.deny_tools:
        return _deny(f"{tool} is in NOVITA_MCP_DENY_TOOLS", plan)
    if settings.allow_tools is not None and tool not in settings.allow_tools:
        return _deny(f"{tool} is not in NOVITA_MCP_ALLOW_TOOLS", plan)
    if plan.gpus > settings.max_gpus:
        return _deny(f"{plan.gpus} GPUs exceed the limit of {settings.max_gpus} per request (NOVITA_MCP_MAX_GPUS)", plan)

    amount = plan.quote.amount_usd if plan.quote is not None else Decimal(0)
    if amount > 0:
        if settings.max_call_usd is not None and amount > settings.max_call_usd:
            return _deny(f"the quote {usd(amount)} exceeds the per-call cap {usd(settings.max_call_usd)} "
                         "(NOVITA_MCP_MAX_CALL_USD)", plan)
        if settings.session_budget_usd is not None and facts.session_spent_usd + amount > settings.session_budget_usd:
            left = max(Decimal(0), settings.session_budget_usd - facts.session_spent_usd)
            return _deny(f"the quote {usd(amount)} exceeds what is left of the session budget: {usd(left)} of "
                         f"{usd(settings.session_budget_usd)} (NOVITA_MCP_SESSION_BUDGET_USD)", plan)
        if settings.daily_budget_usd is not None and facts.day_spent_usd + amount > settings.daily_budget_usd:
            left = max(Decimal(0), settings.daily_budget_usd - facts.day_spent_usd)
            return _deny(f"the quote {usd(amount)} exceeds what is left of today's budget: {usd(left)} of "
                         f"{usd(settings.daily_budget_usd)} (NOVITA_MCP_DAILY_BUDGET_USD)", plan)
        if facts.balance_usd is not None and facts.balance_usd < amount:
            missing = amount - facts.balance_usd
            return _deny(f"the balance {usd(facts.balance_usd)} does not cover the quote {usd(amount)}; "
                         f"{usd(missing)} is missing - top up at https://novita.ai/billing", plan)

    if settings.confirm_mode == "none":
        return Verdict(Decision.ALLOW, "confirmation disabled (NOVITA_MCP_CONFIRM_MODE=none)", plan)
    if Effect.DESTRUCTIVE in effects:
        return Verdict(Decision.CONFIRM, "destructive action", plan)
    if Effect.BILLABLE in effects:
        if plan.quote is not None and plan.quote.recurring:
            return Verdict(Decision.CONFIRM, f"recurring charge (per {plan.quote.recurring})", plan)
        if plan.quote is None:
            return Verdict(Decision.CONFIRM, "billable action without a price", plan)
        if amount > settings.auto_approve_usd:
            return Verdict(Decision.CONFIRM, f"costs more than the auto-approve threshold {usd(settings.auto_approve_usd)}",
                           plan)
        return Verdict(Decision.ALLOW, f"within the auto-approve threshold {usd(settings.auto_approve_usd)}", plan)
    return Verdict(Decision.ALLOW, "no guarded effect", plan)
