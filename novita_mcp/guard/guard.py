"""The guard service: gathers the facts, asks the policy, issues and checks tokens, records."""

from __future__ import annotations

import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from novita_mcp.guard.audit import AuditLog
from novita_mcp.guard.ledger import SpendLedger, utc_day
from novita_mcp.guard.plan import Effect, Plan, Verdict, usd
from novita_mcp.guard.policy import SpendFacts, decide
from novita_mcp.guard.tokens import TokenClaims, TokenError, TokenSigner
from novita_mcp.settings import Settings

__all__ = ["Guard", "ConfirmationTicket"]

log = logging.getLogger("novita_mcp.guard")


@dataclass(frozen=True)
class ConfirmationTicket:
    token: str
    expires_at: float


class Guard:
    """One per server process. ``session`` identifies this process in the ledger."""

    def __init__(
        self,
        settings: Settings,
        *,
        ledger: SpendLedger,
        audit: AuditLog,
        signer: TokenSigner,
        balance: Callable[[], Awaitable[Decimal]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.audit = audit
        self.signer = signer
        self._balance = balance
        self.clock = clock
        self.session = uuid.uuid4().hex
        # Plans awaiting an elicitation answer, by request id (bounded: abandoned rounds fall out).
        self._pending: OrderedDict[str, Verdict] = OrderedDict()

    def __repr__(self) -> str:
        return f"Guard(session={self.session[:8]}, mode={self.settings.confirm_mode})"

    async def evaluate(self, tool: str, effects: frozenset[Effect], plan: Plan) -> Verdict:
        amount = plan.quote.amount_usd if plan.quote is not None else Decimal(0)
        balance = await self._balance() if Effect.BILLABLE in effects and amount > 0 else None
        facts = SpendFacts(
            session_spent_usd=self.ledger.session_spent(self.session),
            day_spent_usd=self.ledger.day_spent(utc_day(self.clock())),
            balance_usd=balance,
        )
        return decide(self.settings, tool, effects, plan, facts)

    # --- tokens -------------------------------------------------------------------------
    def issue(self, tool: str, args: dict[str, Any], plan: Plan) -> ConfirmationTicket:
        quote = plan.quote.amount_usd if plan.quote else Decimal(0)
        recurring = plan.quote.recurring if plan.quote else None
        token, claims = self.signer.issue(tool, args, quote, recurring, self.clock(), self.settings.token_ttl_seconds)
        return ConfirmationTicket(token, claims.expires_at)

    def check_token(self, token: str, tool: str, args: dict[str, Any], plan: Plan) -> TokenClaims:
        """Every binding re-checked against the fresh plan. Raises TokenError with the reason."""
        claims = self.signer.verify(token, tool, args, self.clock())
        now_quote = plan.quote.amount_usd if plan.quote else Decimal(0)
        if now_quote > claims.quote_usd:
            raise TokenError(f"the price went up from {usd(claims.quote_usd)} to {usd(now_quote)} since it was confirmed")
        now_recurring = plan.quote.recurring if plan.quote else None
        if now_recurring != claims.recurring:
            raise TokenError("the billing terms changed since they were confirmed")
        return claims

    def spend(self, claims: TokenClaims) -> None:
        if not self.ledger.spend_token(claims.nonce, self.clock()):
            raise TokenError("the confirmation token was already used; each token confirms one call")

    # --- elicitation round trips --------------------------------------------------------
    def hold(self, request_id: str, verdict: Verdict) -> None:
        self._pending[request_id] = verdict
        while len(self._pending) > 256:
            self._pending.popitem(last=False)

    def release(self, request_id: str) -> Verdict | None:
        return self._pending.pop(request_id, None)

    # --- records --------------------------------------------------------------------------
    def record_spend(self, tool: str, plan: Plan, charged_usd: Decimal | None, resource_id: str | None) -> None:
        if plan.quote is None and charged_usd is None:
            return
        quote = plan.quote.amount_usd if plan.quote else Decimal(0)
        self.ledger.record(session=self.session, tool=tool, quote_usd=quote, charged_usd=charged_usd,
                           resource_id=resource_id, at=self.clock())
