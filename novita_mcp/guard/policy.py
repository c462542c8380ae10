"""The one policy decision before any non-read call: DENY > CONFIRM > ALLOW.

Pure: it takes the facts (settings, the plan, what the ledger holds as committed, the live
balance and run-rate) and returns a verdict with a reason written for the user. It runs
inside the ledger's transaction, so the totals it sees include every concurrent decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from novita_mcp.guard.ledger import SESSION_LOOKAHEAD_HOURS, Totals, day_bounds
from novita_mcp.guard.plan import Decision, Effect, Plan, Verdict, usd
from novita_mcp.settings import Settings

__all__ = ["decide", "SpendFacts", "Burner"]

_ZERO = Decimal(0)


@dataclass(frozen=True)
class Burner:
    """A running resource and its hourly rate, as Novita reports it."""

    resource_id: str
    label: str
    hourly_usd: Decimal


@dataclass(frozen=True)
class SpendFacts:
    totals: Totals
    balance_usd: Decimal | None = None  # live balance; None: not checked (nothing to pay now)
    burners: tuple[Burner, ...] | None = None  # live running resources; None: not read (no hourly cap)

    def run_rate_usd(self) -> Decimal:
        """The account's burn per hour: what Novita shows running, plus what this server started and
        Novita does not list yet (a create still in flight)."""
        live = {b.resource_id for b in self.burners or ()}
        pending = sum((rate for rid, rate in self.totals.open_rates if rid is None or rid not in live), _ZERO)
        return sum((b.hourly_usd for b in self.burners or ()), _ZERO) + pending


def _tool_key(name: str) -> str:
    """Tool names compare case-insensitively, with '-' and '_' alike."""
    return name.strip().lower().replace("-", "_")


def _deny(reason: str, plan: Plan) -> Verdict:
    return Verdict(Decision.DENY, reason, plan)


def _day_cost(plan: Plan, now: float) -> Decimal:
    """What the plan commits within today: paid now, plus its hourly rate to the end of the UTC day."""
    quote = plan.quote
    if quote is None:
        return _ZERO
    _, day_end = day_bounds(now)
    return quote.upfront_usd + quote.hourly_usd * Decimal(str(day_end - now)) / 3600


def _session_cost(plan: Plan) -> Decimal:
    quote = plan.quote
    return _ZERO if quote is None else quote.upfront_usd + quote.hourly_usd * SESSION_LOOKAHEAD_HOURS


def _stop_hint(facts: SpendFacts) -> str:
    top = sorted(facts.burners or (), key=lambda b: b.hourly_usd, reverse=True)[:3]
    live = {b.resource_id for b in facts.burners or ()}
    in_flight = [rate for rid, rate in facts.totals.open_rates if rid is None or rid not in live]
    parts = []
    if top:
        parts.append("running now: " + "; ".join(f"{b.label} at {usd(b.hourly_usd)}/h" for b in top))
    if in_flight:
        parts.append(f"{len(in_flight)} more started by this server and not listed by Novita yet "
                     f"({usd(sum(in_flight, _ZERO))}/h)")
    return (" - " + ", ".join(parts) + "; stop or delete one of them first to make room") if parts else ""


def _caps(settings: Settings, plan: Plan, facts: SpendFacts) -> str | None:
    """The first hard cap this plan would pass, in words; None when it fits them all."""
    quote, totals = plan.quote, facts.totals
    amount = quote.amount_usd if quote is not None else _ZERO
    if quote is None or amount <= 0:
        return None
    if settings.max_call_usd is not None and amount > settings.max_call_usd:
        return f"the quote {usd(amount)} exceeds the per-call cap {usd(settings.max_call_usd)} (NOVITA_MCP_MAX_CALL_USD)"
    session_cost = _session_cost(plan)
    if settings.session_budget_usd is not None and totals.session_usd + session_cost > settings.session_budget_usd:
        left = max(_ZERO, settings.session_budget_usd - totals.session_usd)
        counted = f"{usd(session_cost)} (its first hour)" if quote.hourly_usd else usd(session_cost)
        return (f"this call counts {counted} against the session budget, and only {usd(left)} of "
                f"{usd(settings.session_budget_usd)} is left (NOVITA_MCP_SESSION_BUDGET_USD)")
    day_cost = _day_cost(plan, totals.now)
    if settings.daily_budget_usd is not None and totals.day_usd + day_cost > settings.daily_budget_usd:
        left = max(_ZERO, settings.daily_budget_usd - totals.day_usd)
        counted = (f"{usd(day_cost)} (its hourly rate until the end of the UTC day)" if quote.hourly_usd
                   else usd(day_cost))
        return (f"this call counts {counted} against today's budget, and only {usd(left)} of "
                f"{usd(settings.daily_budget_usd)} is left (NOVITA_MCP_DAILY_BUDGET_USD; running resources count "
                "their rate for the rest of the day)")
    if settings.max_hourly_usd is not None and quote.hourly_usd > 0:
        rate = facts.run_rate_usd()
        if rate + quote.hourly_usd > settings.max_hourly_usd:
            return (f"the account already burns {usd(rate)}/h and this adds {usd(quote.hourly_usd)}/h, over the hourly "
                    f"cap {usd(settings.max_hourly_usd)}/h (NOVITA_MCP_MAX_HOURLY_USD){_stop_hint(facts)}")
    if facts.balance_usd is not None:
        available = facts.balance_usd - totals.inflight_usd
        needed = session_cost  # what is paid now, or the first hour of a recurring charge
        if available < needed:
            pending = f" ({usd(totals.inflight_usd)} of it is held by calls still in flight)" if totals.inflight_usd else ""
            return (f"the balance {usd(facts.balance_usd)}{pending} does not cover {usd(needed)}; "
                    f"{usd(needed - available)} is missing - top up at https://novita.ai/billing")
    return None


def decide(settings: Settings, tool: str, effects: frozenset[Effect], plan: Plan, facts: SpendFacts) -> Verdict:
    if Effect.READ in effects and len(effects) == 1:
        return Verdict(Decision.ALLOW, "read-only tool", plan)
    if settings.read_only:
        return _deny("the server runs in read-only mode (NOVITA_MCP_READ_ONLY)", plan)
    # The lists also keep these tools from being listed at all; checked again here, by the same rule.
    name = _tool_key(tool)
    if name in {_tool_key(t) for t in settings.deny_tools}:
        return _deny(f"{tool} is in NOVITA_MCP_DENY_TOOLS", plan)
    if settings.allow_tools is not None and name not in {_tool_key(t) for t in settings.allow_tools}:
        return _deny(f"{tool} is not in NOVITA_MCP_ALLOW_TOOLS", plan)
    if plan.gpus > settings.max_gpus:
        return _deny(f"{plan.gpus} GPUs exceed the limit of {settings.max_gpus} per request (NOVITA_MCP_MAX_GPUS)", plan)
    refused = _caps(settings, plan, facts)
    if refused is not None:
        return _deny(refused, plan)

    if settings.confirm_mode == "none":
        return Verdict(Decision.ALLOW, "confirmation disabled (NOVITA_MCP_CONFIRM_MODE=none)", plan)
    if Effect.DESTRUCTIVE in effects:
        return Verdict(Decision.CONFIRM, "destructive action", plan)
    if plan.irreversible:
        return Verdict(Decision.CONFIRM, "it cannot be undone", plan)
    if Effect.BILLABLE in effects:
        quote = plan.quote
        if quote is None:
            return Verdict(Decision.CONFIRM, "billable action without a price", plan)
        if quote.recurring:
            return Verdict(Decision.CONFIRM, f"recurring charge (per {quote.recurring})", plan)
        if quote.amount_usd > settings.auto_approve_usd:
            return Verdict(Decision.CONFIRM, f"costs more than the auto-approve threshold {usd(settings.auto_approve_usd)}",
                           plan)
        allowance = settings.auto_approve_session_usd
        if quote.amount_usd > 0 and facts.totals.auto_session_usd + quote.amount_usd > allowance:
            return Verdict(Decision.CONFIRM, f"calls approved automatically have spent {usd(facts.totals.auto_session_usd)} "
                           f"this session, and the allowance is {usd(allowance)} (NOVITA_MCP_AUTO_APPROVE_SESSION_USD)",
                           plan)
        return Verdict(Decision.ALLOW, f"within the auto-approve threshold {usd(settings.auto_approve_usd)}", plan)
    return Verdict(Decision.ALLOW, "no guarded effect", plan)
