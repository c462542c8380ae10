"""The one path of a guarded call: plan -> decide -> consent -> reserve -> run -> settle -> audit.

A guarded tool's MCP function gets two hidden parameters filled by resolvers that run before
it (the SDK's ``Resolve``; the model never sees them) and one visible one,
``confirmation_token``:

1. ``planner`` runs the tool's plan function once per round, with the tool's own arguments,
   and asks the policy for a preview (DENY / CONFIRM / ALLOW) without reserving anything.
2. ``consent`` turns the preview into consent: DENY refuses; ALLOW goes ahead; CONFIRM is
   settled by a valid token, or by asking the user through elicitation (on both protocol
   revisions), or answered with ``confirmation_required`` and a fresh token.
3. The body of the MCP function consumes the approval (single use, bound to this session and
   this exact call), then decides again *inside the ledger transaction*, reserving the quote;
   only then does the tool body run, with the plan in hand.
4. The reservation is settled to the actual charge, released when Novita definitely refused,
   or kept as uncertain when the outcome cannot be known. Every step is audited.

An elicited approval carries a number that the ledger issued for this session and call;
a re-sent answer (2026-07-28 lets a client replay a round) finds that number used, is asked a
new question, and cannot run the call twice.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python

from novita_mcp.client.errors import NovitaError
from novita_mcp.guard import outcome as say
from novita_mcp.guard.plan import Decision, Plan, Verdict
from novita_mcp.guard.tokens import TokenClaims, TokenError
from novita_mcp.guard.views import Approval, ConfirmationView, Outcome, quote_record

__all__ = ["guarded_function", "TOKEN_PARAM", "CONSENT_PARAM", "PLAN_PARAM", "call_plan"]

log = logging.getLogger("novita_mcp.guard")

TOKEN_PARAM = "confirmation_token"
# Filled by resolvers, never by the model (the SDK rejects names starting with "_").
CONSENT_PARAM = "novita_consent"
PLAN_PARAM = "novita_plan"


@dataclass(frozen=True)
class Planned:
    """The planner's result for one round: the plan, the preview verdict, and who is asking."""

    plan: Plan
    verdict: Verdict
    args: dict[str, Any]
    session: str


@dataclass(frozen=True)
class Consent:
    """The consent resolver's answer when no question is asked: go ahead, or hand out a token."""

    via: str  # "policy" (ALLOW), "token", or "needs_token"
    claims: TokenClaims | None = None


def _canonical(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: to_jsonable_python(v) for k, v in kwargs.items() if k != TOKEN_PARAM}


@functools.cache
def _plan_params(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The argument names a plan function takes after ``services``."""
    return tuple(list(inspect.signature(fn).parameters)[1:])


async def call_plan(fn: Callable[..., Awaitable[Plan]], app: Any, arguments: dict[str, Any],
                    ctx: Context | None = None) -> Plan:
    """Run a plan function with the tool's own (validated, typed) arguments, the ones it names.

    A plan function that names ``ctx`` also gets the request context (e.g. to tell stdio from HTTP
    before reading a local file)."""
    names = _plan_params(fn)
    chosen = {n: arguments[n] for n in names if n in arguments}
    if "ctx" in names:
        chosen["ctx"] = ctx
    return await fn(app, **chosen)


def _can_elicit(ctx: Context) -> bool:
    caps = ctx.client_capabilities
    elicitation = caps.elicitation if caps is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def guarded_function(spec: Any, tool_params: list[inspect.Parameter], output: type[BaseModel],
                     run_body: Callable[[Context, dict[str, Any], Any], Awaitable[Any]]) -> Any:
    """The MCP-facing function of a guarded tool.

    ``run_body(ctx, arguments, run)`` runs the tool body; ``run`` is the toolkit's ``Run`` for
    this call (it carries the plan).
    """
    from novita_mcp.toolkit import Run, services

    tool = spec.name

    async def planner(**kwargs: Any) -> Planned:
        ctx: Context = kwargs.pop("ctx")
        app = services(ctx)
        guard = app.guard
        kwargs.pop(TOKEN_PARAM, None)
        args = _canonical(kwargs)
        try:
            plan = await call_plan(spec.plan, app, kwargs, ctx)
            session = guard.session_of(ctx)
            verdict = await guard.preview(tool, spec.effects, plan, session)
        except ToolError as exc:
            guard.audit.write("refused", tool, arguments=args, stage="planning", reason=str(exc))
            raise
        except NovitaError as exc:
            guard.audit.write("refused", tool, arguments=args, stage="planning", reason=exc.describe())
            raise ToolError(say.planning_failed(exc)) from None
        except Exception:
            log.exception("planning %s failed unexpectedly", tool)
            guard.audit.write("refused", tool, arguments=args, stage="planning", reason="internal error")
            raise ToolError(say.planning_failed(None)) from None
        return Planned(plan, verdict, args, session)

    async def consent(*, ctx: Context, planned: Planned, confirmation_token: str | None = None) -> Any:
        guard = services(ctx).guard
        plan, verdict = planned.plan, planned.verdict
        guard.audit.write("decision", tool, arguments=planned.args, quote=quote_record(plan),
                          decision=verdict.decision.value, reason=verdict.reason, token_presented=bool(confirmation_token))
        if verdict.decision is Decision.DENY:
            log.info("%s refused: %s", tool, verdict.reason)
            raise ToolError(say.refused(verdict.reason, plan))
        if verdict.decision is Decision.ALLOW:
            return Consent("policy")
        if confirmation_token:
            try:
                return Consent("token", guard.check_token(confirmation_token, tool, planned.args, plan))
            except TokenError as exc:
                guard.audit.write("token_refused", tool, reason=str(exc))
                raise ToolError(f"{say.refused(str(exc), plan)} Call {tool} again without confirmation_token to get "
                                "a fresh plan for the user to approve.") from None
        mode = guard.settings.confirm_mode
        if _can_elicit(ctx) and mode in ("auto", "elicit"):
            number = guard.ask_approval(planned.session, tool, planned.args, plan)
            return Elicit(f"Approve this {tool} call? (approval {number})\n\n{plan.describe()}", Approval)
        if mode == "elicit":
            raise ToolError(say.refused("this call needs the user's confirmation, NOVITA_MCP_CONFIRM_MODE=elicit, and "
                                        "this client cannot show a confirmation form", plan))
        return Consent("needs_token")

    async def guarded(**kwargs: Any) -> CallToolResult:
        planned: Planned = kwargs.pop(PLAN_PARAM)
        answer = kwargs.pop(CONSENT_PARAM)
        ctx: Context = kwargs.pop("ctx")
        kwargs.pop(TOKEN_PARAM, None)  # consumed by the consent resolver; the tool body never sees it
        guard = services(ctx).guard
        plan = planned.plan
        data = getattr(answer, "data", None)
        if answer.action != "accept" or (isinstance(data, Approval) and not data.approve):
            what = "cancelled" if answer.action == "cancel" else "declined"
            guard.audit.write("confirmation", tool, decision="declined", reason=f"user {what}")
            raise ToolError(f"The user {what} the confirmation. {say.nothing_done(plan)}")
        if isinstance(data, Consent) and data.via == "needs_token":
            return _confirmation_required(guard, tool, planned, planned.verdict, output)
        approved = False
        if isinstance(data, Approval):
            if not guard.use_approval(planned.session, tool, planned.args, plan):
                guard.audit.write("confirmation", tool, decision="refused", reason="approval already used or expired")
                raise ToolError(say.refused("this approval was already used or has expired; an approval confirms one "
                                            "call", plan))
            guard.audit.write("confirmation", tool, decision="approved", via="elicitation")
            approved = True
        elif isinstance(data, Consent) and data.claims is not None:
            try:
                guard.spend(data.claims)
            except TokenError as exc:
                guard.audit.write("token_refused", tool, reason=str(exc))
                raise ToolError(say.refused(str(exc), plan)) from None
            guard.audit.write("confirmation", tool, decision="approved", via="token")
            approved = True

        reserved = await _reserve(guard, tool, spec, planned, approved)
        if reserved.verdict.decision is Decision.CONFIRM:
            # Something changed since the preview (e.g. the auto-approve allowance ran out in a parallel call).
            return _confirmation_required(guard, tool, planned, reserved.verdict, output)
        entry = reserved.entry_id

        def on_done(charged: Decimal | None, resource_id: str | None) -> None:
            guard.settle(entry, charged_usd=charged, resource_id=resource_id)

        run = Run(plan, on_done)
        try:
            reply = await run_body(ctx, kwargs, run)
        except BaseException as exc:
            return _failed(guard, tool, plan, entry, run, exc, output)
        charged = reply.charged_usd
        if not run.is_done or charged is not None or reply.resource_id != run.resource_id:
            guard.settle(entry, charged_usd=charged, resource_id=reply.resource_id or run.resource_id)
        if plan.ends:
            guard.end_recurring(plan.ends, keep=entry)
        guard.audit.write("outcome", tool, status="done", resource_id=reply.resource_id, charged_usd=charged,
                          quote=quote_record(plan))
        structured = {"status": "done", "result": reply.data.model_dump(mode="json"), "confirmation": None,
                      "note": None}
        return reply.to_result(structured)

    ctx_param = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)
    token_param = inspect.Parameter(
        TOKEN_PARAM, inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=Annotated[str | None, Field(description=(
            "From an approved confirmation_required answer."), max_length=2048)],
    )
    _sign(planner, [ctx_param, *tool_params, token_param], f"plan_{tool}")
    plan_param = inspect.Parameter(PLAN_PARAM, inspect.Parameter.KEYWORD_ONLY,
                                   annotation=Annotated[Planned, Resolve(planner)])
    _sign(consent, [ctx_param, inspect.Parameter("planned", inspect.Parameter.KEYWORD_ONLY,
                                                 annotation=Annotated[Planned, Resolve(planner)]), token_param],
          f"confirm_{tool}")
    consent_param = inspect.Parameter(CONSENT_PARAM, inspect.Parameter.KEYWORD_ONLY,
                                      annotation=Annotated[ElicitationResult[Approval], Resolve(consent)])
    outcome_model = Outcome[output]  # type: ignore[valid-type]  # the output model is known at run time
    ret = Annotated[CallToolResult, outcome_model]
    _sign(guarded, [*tool_params, token_param, ctx_param, plan_param, consent_param], tool, ret)
    return guarded


def _sign(fn: Any, params: list[inspect.Parameter], name: str, ret: Any = inspect.Signature.empty) -> None:
    fn.__signature__ = inspect.Signature(params, return_annotation=ret)
    fn.__annotations__ = {p.name: p.annotation for p in params}
    if ret is not inspect.Signature.empty:
        fn.__annotations__["return"] = ret
    fn.__qualname__ = fn.__name__ = name


async def _reserve(guard: Any, tool: str, spec: Any, planned: Planned, approved: bool) -> Any:
    """The deciding transaction; a refusal here (a cap reached by a parallel call) is final."""
    plan = planned.plan
    try:
        reserved = await guard.reserve(tool, spec.effects, plan, planned.session, approved=approved)
    except NovitaError as exc:
        guard.audit.write("refused", tool, stage="reserve", reason=exc.describe())
        raise ToolError(say.planning_failed(exc)) from None
    guard.audit.write("reserve", tool, decision=reserved.verdict.decision.value, reason=reserved.verdict.reason,
                      quote=quote_record(plan), entry=reserved.entry_id)
    if reserved.verdict.decision is Decision.DENY:
        log.info("%s refused: %s", tool, reserved.verdict.reason)
        raise ToolError(say.refused(reserved.verdict.reason, plan))
    return reserved


def _failed(guard: Any, tool: str, plan: Plan, entry: str | None, run: Any, exc: BaseException,
            output: type[BaseModel]) -> CallToolResult:
    """Settle and word a body that raised. Returns a result only when the action was done."""
    if not isinstance(exc, Exception):
        # Cancelled mid-call: we cannot know how far it got.
        guard.uncertain(entry, plan, run.resource_id)
        guard.audit.write("outcome", tool, status="unknown", reason="cancelled")
        raise exc
    if run.is_done:
        if plan.ends:
            guard.end_recurring(plan.ends, keep=entry)
        note = say.partial(tool, plan, run.resource_id, exc)
        if not isinstance(exc, ToolError | NovitaError):
            log.error("%s: reading after the action failed", tool, exc_info=exc)
        guard.audit.write("outcome", tool, status="done", resource_id=run.resource_id, note="follow-up read failed")
        structured = Outcome[output].model_validate(  # type: ignore[valid-type]  # the output model is known at run time
            {"status": "done", "result": None, "confirmation": None, "note": note, "resource_id": run.resource_id}
        ).model_dump(mode="json")
        return CallToolResult(content=[TextContent(type="text", text=note)], structured_content=structured)
    if isinstance(exc, ToolError):
        guard.release(entry)
        guard.audit.write("outcome", tool, status="error", error=str(exc))
        log.info("%s failed: %s", tool, exc)
        raise exc
    if say.is_unknown_outcome(exc) or not isinstance(exc, NovitaError):
        if not isinstance(exc, NovitaError):
            log.error("%s failed inside novita-mcp", tool, exc_info=exc)
        guard.uncertain(entry, plan, run.resource_id)
        text = say.outcome_unknown(tool, plan, exc)
        guard.audit.write("outcome", tool, status="unknown", error=text)
        log.info("%s: outcome unknown", tool)
        raise ToolError(text) from None
    guard.release(entry)
    text = f"{exc.describe()} {say.nothing_done(plan)}"
    guard.audit.write("outcome", tool, status="error", error=text)
    log.info("%s failed: %s", tool, exc)
    raise ToolError(text) from None


def _confirmation_required(guard: Any, tool: str, planned: Planned, verdict: Verdict,
                           output: type[BaseModel]) -> CallToolResult:
    plan = planned.plan
    ticket = guard.issue(tool, planned.args, plan)
    expires = datetime.fromtimestamp(ticket.expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    minutes = max(1, round((ticket.expires_at - guard.clock()) / 60))
    instructions = (f"Nothing has been done yet. Show this plan to the user and ask for approval. Only if they "
                    f"approve, call {tool} again with exactly the same arguments plus confirmation_token. The token "
                    f"works once and expires in {minutes} min.")
    view = ConfirmationView(
        token=ticket.token, expires_at=expires, action=plan.action, target=plan.target,
        cost_usd=str(plan.quote.amount_usd) if plan.quote else None,
        cost_basis=plan.quote.basis if plan.quote else None,
        recurring=plan.quote.recurring if plan.quote else None, irreversible=plan.irreversible,
        plan=plan.describe(), instructions=instructions,
    )
    guard.audit.write("confirmation", tool, decision="token_issued", reason=verdict.reason, quote=quote_record(plan),
                      expires_at=expires)
    text = (f"CONFIRMATION REQUIRED ({verdict.reason}).\n{plan.describe()}\n\n{instructions}\n"
            f"confirmation_token: {ticket.token}")
    structured = Outcome[output].model_validate(  # type: ignore[valid-type]  # the output model is known at run time
        {"status": "confirmation_required", "result": None, "confirmation": view}
    ).model_dump(mode="json")
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)
