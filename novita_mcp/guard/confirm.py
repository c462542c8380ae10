"""Turning a declared tool into a guarded MCP tool.

A guarded tool gets two extra parameters: ``confirmation_token`` (visible to the model)
and a hidden one filled by a resolver that runs before the body. The resolver computes
the plan on the server and asks the policy; then

* DENY    -> a tool error saying why and that nothing happened;
* ALLOW   -> the body runs;
* CONFIRM -> with a valid token: the body runs; with a client that can show a form (and
  mode auto/elicit): the user is asked through MCP elicitation (``Resolve``/``Elicit``
  works on both the 2025-11-25 and 2026-07-28 revisions); otherwise (mode auto/token) the
  call returns ``confirmation_required`` with the plan and a signed single-use token, and
  in mode ``elicit`` it fails closed.
"""

from __future__ import annotations

import inspect
import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python

from novita_mcp.client.errors import NovitaError
from novita_mcp.guard.plan import Decision, Plan, Verdict
from novita_mcp.guard.tokens import TokenClaims, TokenError

__all__ = ["Approval", "Outcome", "ConfirmationView", "guarded_signature", "TOKEN_PARAM"]

log = logging.getLogger("novita_mcp.guard")

TOKEN_PARAM = "confirmation_token"
# Filled by the resolver, never by the model (the SDK rejects names starting with "_").
CONSENT_PARAM = "novita_consent"
M = TypeVar("M", bound=BaseModel)


class Approval(BaseModel):
    """The form shown to the user."""

    approve: bool = Field(title="Approve", description="Check to approve this action and its cost.")


class ConfirmationView(BaseModel):
    token: str = Field(description="Pass back as confirmation_token, with the same arguments, once the user approves.")
    expires_at: str = Field(description="UTC time after which the token is refused.")
    action: str
    target: str
    cost_usd: str | None = Field(None, description="The quote in USD (per period when recurring).")
    cost_basis: str | None = None
    recurring: Literal["hour", "month"] | None = None
    irreversible: str | None = None
    instructions: str


class Outcome(BaseModel, Generic[M]):
    """The result of a guarded tool: done, or waiting for the user's confirmation."""

    status: Literal["done", "confirmation_required"]
    result: M | None = None
    confirmation: ConfirmationView | None = None


class _Cleared:
    """Resolver outcome: go ahead (ALLOW, or CONFIRM settled by a valid token)."""

    def __init__(self, verdict: Verdict, claims: TokenClaims | None = None) -> None:
        self.verdict = verdict
        self.claims = claims


class _NeedsToken:
    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict


def _nothing_happened(plan: Plan) -> str:
    return f"Nothing was done: \"{plan.action}\" was not carried out."


def _can_elicit(ctx: Context) -> bool:
    caps = ctx.client_capabilities
    elicitation = caps.elicitation if caps is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def _question(tool: str, plan: Plan) -> str:
    return f"Approve this {tool} call?\n\n{plan.describe()}"


def _canonical(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: to_jsonable_python(v) for k, v in kwargs.items() if k != TOKEN_PARAM}


def guarded_signature(spec: Any, tool_params: list[inspect.Parameter], ctx_name: str, output: type[BaseModel],
                      run: Any) -> Any:
    """Build the MCP-facing function of a guarded tool.

    ``run(ctx, kwargs) -> Reply`` runs the tool body with error mapping.
    """
    from novita_mcp.toolkit import services

    tool_name = spec.name

    async def decide(app: Any, args: dict[str, Any]) -> tuple[Plan, Verdict]:
        """Plan and judge the call; any failure here refuses it (fail closed), readably."""
        try:
            plan = await spec.plan(app, args)
            return plan, await app.guard.evaluate(tool_name, spec.effects, plan)
        except ToolError:
            raise
        except NovitaError as exc:
            raise ToolError(f"Could not check this call before running it: {exc.describe()} Nothing was done.") from None
        except Exception:
            log.exception("planning %s failed unexpectedly", tool_name)
            raise ToolError("Could not check this call before running it (an unexpected error; details are in the "
                            "server's log on stderr). Nothing was done.") from None

    async def resolver(**kwargs: Any) -> Any:
        ctx: Context = kwargs.pop(ctx_name)
        app = services(ctx)
        guard = app.guard
        token = kwargs.get(TOKEN_PARAM)
        args = _canonical(kwargs)
        plan, verdict = await decide(app, args)
        guard.audit.write("decision", tool_name, arguments=args, quote=_quote(plan), decision=verdict.decision.value,
                          reason=verdict.reason, token_presented=bool(token))
        if verdict.decision is Decision.DENY:
            raise ToolError(f"Refused: {verdict.reason}. {_nothing_happened(plan)}")
        if verdict.decision is Decision.ALLOW:
            return _Cleared(verdict)
        if token:
            try:
                return _Cleared(verdict, guard.check_token(token, tool_name, args, plan))
            except TokenError as exc:
                guard.audit.write("token_refused", tool_name, reason=str(exc))
                raise ToolError(f"Refused: {exc}. {_nothing_happened(plan)} Call {tool_name} again without "
                                "confirmation_token to get a fresh plan for the user to approve.") from None
        mode = guard.settings.confirm_mode
        if _can_elicit(ctx) and mode in ("auto", "elicit"):
            guard.hold(str(ctx.request_id), verdict)
            return Elicit(_question(tool_name, plan), Approval)
        if mode == "elicit":
            raise ToolError(f"Refused: this call needs the user's confirmation, NOVITA_MCP_CONFIRM_MODE=elicit, and "
                            f"this client cannot show a confirmation form. {_nothing_happened(plan)}")
        return _NeedsToken(verdict)

    ctx_param = inspect.Parameter(ctx_name, inspect.Parameter.KEYWORD_ONLY, annotation=Context)
    token_param = inspect.Parameter(
        TOKEN_PARAM,
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[str | None, Field(description=(
            "Leave empty. If a previous call returned status 'confirmation_required' and the user approved the "
            "plan, pass its token here with exactly the same arguments."), max_length=2048)],
    )
    resolver_params = [ctx_param, *tool_params, token_param]
    resolver.__signature__ = inspect.Signature(resolver_params)  # type: ignore[attr-defined]
    resolver.__annotations__ = {p.name: p.annotation for p in resolver_params}
    resolver.__qualname__ = resolver.__name__ = f"confirm_{tool_name}"

    outcome_model = Outcome[output]  # type: ignore[valid-type]

    async def guarded(**kwargs: Any) -> CallToolResult:
        consent = kwargs.pop(CONSENT_PARAM)
        ctx: Context = kwargs[ctx_name]
        guard = services(ctx).guard
        kwargs.pop(TOKEN_PARAM, None)  # consumed by the resolver; the tool body never sees it
        data = getattr(consent, "data", None)
        if consent.action != "accept" or (isinstance(data, Approval) and not data.approve):
            verdict = guard.release(str(ctx.request_id))
            plan = verdict.plan if verdict else None
            what = "declined" if consent.action != "cancel" else "cancelled"
            guard.audit.write("confirmation", tool_name, decision="declined", reason=f"user {what}")
            detail = f" {_nothing_happened(plan)}" if plan else " Nothing was done."
            raise ToolError(f"The user {what} the confirmation.{detail}")
        if isinstance(data, _NeedsToken):
            return _confirmation_required(tool_name, kwargs, ctx_name, data.verdict, outcome_model)
        if isinstance(data, Approval):
            verdict = guard.release(str(ctx.request_id))
            if verdict is None:  # should not happen: the resolver holds it in this same request
                raise ToolError("The confirmation could not be matched to its plan; nothing was done. Call again.")
            guard.audit.write("confirmation", tool_name, decision="approved", via="elicitation")
        else:
            assert isinstance(data, _Cleared)
            verdict = data.verdict
            if data.claims is not None:
                try:
                    guard.spend(data.claims)
                except TokenError as exc:
                    guard.audit.write("token_refused", tool_name, reason=str(exc))
                    raise ToolError(f"Refused: {exc}. {_nothing_happened(verdict.plan)}") from None
                guard.audit.write("confirmation", tool_name, decision="approved", via="token")
        try:
            reply = await run(ctx, kwargs)
        except ToolError as exc:
            guard.audit.write("outcome", tool_name, status="error", error=str(exc))
            raise
        guard.record_spend(tool_name, verdict.plan, reply.charged_usd, reply.resource_id)
        guard.audit.write("outcome", tool_name, status="done", resource_id=reply.resource_id,
                          charged_usd=reply.charged_usd, quote=_quote(verdict.plan))
        structured = {"status": "done", "result": reply.data.model_dump(mode="json"), "confirmation": None}
        return reply.to_result(structured)

    consent_param = inspect.Parameter(
        CONSENT_PARAM, inspect.Parameter.KEYWORD_ONLY,
        annotation=Annotated[ElicitationResult[Approval], Resolve(resolver)],
    )
    params = [*tool_params, token_param, ctx_param, consent_param]
    ret = Annotated[CallToolResult, outcome_model]
    guarded.__signature__ = inspect.Signature(params, return_annotation=ret)  # type: ignore[attr-defined]
    guarded.__annotations__ = {**{p.name: p.annotation for p in params}, "return": ret}

    return guarded


def _quote(plan: Plan) -> dict[str, Any] | None:
    if plan.quote is None:
        return None
    return {"usd": str(plan.quote.amount_usd), "basis": plan.quote.basis, "recurring": plan.quote.recurring}


def _confirmation_required(tool: str, kwargs: dict[str, Any], ctx_name: str, verdict: Verdict,
                           outcome_model: type[BaseModel]) -> CallToolResult:
    from novita_mcp.toolkit import services

    ctx = kwargs.pop(ctx_name)
    guard = services(ctx).guard
    args = _canonical(kwargs)
    plan = verdict.plan
    ticket = guard.issue(tool, args, plan)
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
        instructions=instructions,
    )
    guard.audit.write("confirmation", tool, decision="token_issued", reason=verdict.reason, quote=_quote(plan),
                      expires_at=expires)
    text = (f"CONFIRMATION REQUIRED ({verdict.reason}).\n{plan.describe()}\n\n{instructions}\n"
            f"confirmation_token: {ticket.token}")
    structured = outcome_model.model_validate(
        {"status": "confirmation_required", "result": None, "confirmation": view}
    ).model_dump(mode="json")
    from mcp.types import TextContent

    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)



