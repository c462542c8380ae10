"""What a guarded call tells the agent when it did not simply succeed: one wording, one place.

Three kinds of answer, because they mean different things to the person paying:

* refused  - nothing was sent that could act or spend (a DENY, a Novita refusal, bad input);
* unknown  - a request that acts or spends may have reached Novita and no answer came: it
  may have happened and cost money, so the advice is the read that tells, never "try again";
* partial  - the action was done (and recorded) but a read after it failed.
"""

from __future__ import annotations

from novita_mcp.client.errors import (
    APIError,
    MalformedResponseError,
    NovitaError,
    OutcomeUnknownError,
)
from novita_mcp.guard.plan import Plan

__all__ = ["nothing_done", "refused", "planning_failed", "outcome_unknown", "is_unknown_outcome", "partial",
           "DEFAULT_CHECK"]

DEFAULT_CHECK = "the resource list of this toolset, or list_bills for today's charges"


def nothing_done(plan: Plan | None) -> str:
    return f"Nothing was done: \"{plan.action}\" was not carried out." if plan else "Nothing was done."


def refused(reason: str, plan: Plan | None) -> str:
    return f"Refused: {reason}. {nothing_done(plan)}"


def planning_failed(exc: NovitaError | None) -> str:
    """Planning reads from Novita; when that fails, the call is refused (fail closed)."""
    why = exc.describe() if exc is not None else ("an internal error in novita-mcp (details are in the server's log "
                                                  "on stderr)")
    return f"Could not check this call before running it: {why} Nothing was done."


def is_unknown_outcome(exc: BaseException) -> bool:
    """True when a request that acts may have been carried out although no usable answer came back."""
    if isinstance(exc, OutcomeUnknownError):
        return True
    if getattr(exc, "after_write", False):
        # A 5xx or an unreadable 2xx answer to a write: Novita may well have acted on it.
        return isinstance(exc, MalformedResponseError) or (isinstance(exc, APIError) and exc.status >= 500)
    return False


def outcome_unknown(tool: str, plan: Plan, exc: BaseException | None) -> str:
    what = exc.message if isinstance(exc, NovitaError) else "novita-mcp failed while the request was under way"
    cost = ""
    if plan.quote is not None and plan.quote.amount_usd > 0:
        cost = (f" It may have cost {plan.quote.describe()}; that amount keeps counting against the budgets until "
                "it is reconciled with Novita's records.")
    check = plan.check or DEFAULT_CHECK
    return (f"{tool}: the outcome is unknown - \"{plan.action}\" may have been carried out. {what}{cost} "
            f"Do not call {tool} again before checking: {check}.")


def partial(tool: str, plan: Plan, resource_id: str | None, exc: BaseException) -> str:
    what = exc.describe() if isinstance(exc, NovitaError) else "an internal error (details in the server's log)"
    ident = f" ({resource_id})" if resource_id else ""
    return (f"Done: \"{plan.action}\"{ident} was carried out and recorded, but reading the result afterwards failed: "
            f"{what} Check it with {plan.check or DEFAULT_CHECK}; do not repeat {tool}.")
