"""The guard service: gathers the facts, asks the policy, reserves and settles, tokens and approvals."""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from novita_mcp.guard.audit import AuditLog
from novita_mcp.guard.ledger import Reservation, SpendLedger, Totals
from novita_mcp.guard.plan import Decision, Effect, Plan, Verdict, usd
from novita_mcp.guard.policy import Burner, SpendFacts, decide
from novita_mcp.guard.tokens import TokenClaims, TokenError, TokenSigner, canonical_args
from novita_mcp.settings import Settings

__all__ = ["Guard", "ConfirmationTicket", "Reserved"]

log = logging.getLogger("novita_mcp.guard")

# How long the balance and run-rate read for one call's preview may serve its reservation too.
LIVE_FACTS_FRESH_SECONDS = 30.0


@dataclass(frozen=True)
class ConfirmationTicket:
    token: str
    expires_at: float


@dataclass(frozen=True)
class Reserved:
    """The outcome of the deciding transaction: the verdict, and the ledger entry if one was written."""

    verdict: Verdict
    entry_id: str | None


class Guard:
    """One per server lifespan: the ledger, the audit log, the token signer and the live facts."""

    def __init__(
        self,
        settings: Settings,
        *,
        ledger: SpendLedger,
        audit: AuditLog,
        signer: TokenSigner,
        balance: Callable[[], Awaitable[Decimal]],
        burners: Callable[[], Awaitable[tuple[Burner, ...]]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.audit = audit
        self.signer = signer
        self._balance = balance
        self._burners = burners
        self.clock = clock
        self.session = f"local:{uuid.uuid4().hex}"
        # The live facts read for a plan, by plan identity: (plan, when, facts).
        self._live_cache: dict[int, tuple[Plan, float, tuple[Decimal | None, tuple[Burner, ...] | None]]] = {}
        # Uncertain reservations of this process that the plan knew how to check, by ledger entry.
        self._finders: dict[str, Callable[[], Awaitable[str | None]]] = {}

    def __repr__(self) -> str:
        return f"Guard(mode={self.settings.confirm_mode}, ledger={self.ledger!r})"

    # --- who is calling -----------------------------------------------------------------
    def session_of(self, ctx: Any) -> str:
        """The budget scope of a call: the MCP session over HTTP, this server's lifespan otherwise.

        A stdio server serves one client for its whole life, so its lifespan is the session (the
        2026-07-28 revision has no session of its own to go by). Over HTTP, a client with an MCP
        session id gets its own scope; calls without one (stateless HTTP) share a single scope.
        """
        headers = ctx.headers
        if headers is None:
            return self.session
        sid = headers.get("mcp-session-id")
        return f"http:{sid}" if sid else "http:stateless"

    # --- deciding -----------------------------------------------------------------------
    async def _live(self, effects: frozenset[Effect], plan: Plan) -> tuple[Decimal | None, tuple[Burner, ...] | None]:
        """Novita's live facts the decision needs (read before the ledger transaction, never inside).

        Read once per plan: the preview and the reservation of one call share them while they are
        fresh (calls in flight are held back from the balance by the ledger, not by re-reading it).
        """
        cached = self._live_cache.get(id(plan))
        if cached is not None and cached[0] is plan and self.clock() - cached[1] <= LIVE_FACTS_FRESH_SECONDS:
            return cached[2]
        facts = await self._read_live(effects, plan)
        self._live_cache[id(plan)] = (plan, self.clock(), facts)
        while len(self._live_cache) > 512:
            self._live_cache.pop(next(iter(self._live_cache)))
        return facts

    async def _read_live(self, effects: frozenset[Effect],
                         plan: Plan) -> tuple[Decimal | None, tuple[Burner, ...] | None]:
        quote = plan.quote
        balance = None
        if Effect.BILLABLE in effects and quote is not None and quote.amount_usd > 0:
            balance = await self._balance()
        burners = None
        if (self.settings.max_hourly_usd is not None and quote is not None and quote.hourly_usd > 0
                and self._burners is not None):
            burners = await self._burners()
        return balance, burners

    async def preview(self, tool: str, effects: frozenset[Effect], plan: Plan, session: str) -> Verdict:
        """What the policy says now, without reserving: decides whether to ask the user at all."""
        await self.reconcile()
        balance, burners = await self._live(effects, plan)
        totals = self.ledger.totals(session, at=self.clock())
        return decide(self.settings, tool, effects, plan, SpendFacts(totals, balance, burners))

    async def reserve(self, tool: str, effects: frozenset[Effect], plan: Plan, session: str, *,
                      approved: bool) -> Reserved:
        """Decide again, inside the ledger transaction, and reserve the quote when the call may run.

        ``approved``: the user confirmed this plan (form or token), so CONFIRM counts as go-ahead.
        """
        balance, burners = await self._live(effects, plan)
        quote = plan.quote
        reservation = Reservation(
            session=session, tool=tool, upfront_usd=quote.upfront_usd if quote else Decimal(0),
            hourly_usd=quote.hourly_usd if quote else Decimal(0), auto=not approved, check=plan.check)

        def judge(totals: Totals) -> tuple[Verdict, bool]:
            verdict = decide(self.settings, tool, effects, plan, SpendFacts(totals, balance, burners))
            if verdict.decision is Decision.CONFIRM and approved:
                return Verdict(Decision.ALLOW, "approved by the user", plan), True
            return verdict, verdict.decision is Decision.ALLOW

        verdict, entry_id = self.ledger.reserve(reservation, judge, at=self.clock())
        return Reserved(verdict, entry_id)

    # --- after the call -------------------------------------------------------------------
    def settle(self, entry_id: str | None, *, charged_usd: Decimal | None, resource_id: str | None) -> None:
        if entry_id is not None:
            self.ledger.settle(entry_id, charged_usd=charged_usd, resource_id=resource_id, at=self.clock())

    def release(self, entry_id: str | None) -> None:
        if entry_id is not None:
            self.ledger.release(entry_id, at=self.clock())

    def uncertain(self, entry_id: str | None, plan: Plan, resource_id: str | None = None) -> None:
        """Keep counting a reservation whose outcome is unknown; remember how to find out, if the plan says."""
        if entry_id is None:
            return
        self.ledger.mark_uncertain(entry_id, resource_id=resource_id, at=self.clock())
        if plan.find is not None:
            self._finders[entry_id] = plan.find

    async def reconcile(self) -> None:
        """Ask Novita about the calls whose outcome was unknown; settle or release what it can tell.

        A check that fails leaves the entry uncertain (it keeps counting) for the next decision.
        """
        for entry_id, find in list(self._finders.items()):
            try:
                found = await find()
            except Exception as exc:  # Novita unreachable, or anything else: still unknown
                log.info("could not reconcile %s yet: %s", entry_id, type(exc).__name__)
                continue
            del self._finders[entry_id]
            self.ledger.reconcile(entry_id, happened=found is not None, resource_id=found or None, at=self.clock())
            self.audit.write("reconciled", "guard", entry=entry_id, happened=found is not None, resource_id=found)

    def end_recurring(self, resource_id: str, keep: str | None = None) -> None:
        if self.ledger.end_recurring(resource_id, at=self.clock(), keep=keep):
            log.info("hourly charge of %s no longer counts against the budgets", resource_id)

    # --- tokens -------------------------------------------------------------------------
    def issue(self, tool: str, args: dict[str, Any], plan: Plan) -> ConfirmationTicket:
        quote = plan.amount_usd
        recurring = plan.quote.recurring if plan.quote else None
        token, claims = self.signer.issue(tool, args, quote, recurring, self.clock(), self.settings.token_ttl_seconds)
        return ConfirmationTicket(token, claims.expires_at)

    def check_token(self, token: str, tool: str, args: dict[str, Any], plan: Plan) -> TokenClaims:
        """Every binding re-checked against the fresh plan. Raises TokenError with the reason."""
        claims = self.signer.verify(token, tool, args, self.clock())
        now_quote = plan.amount_usd
        if now_quote > claims.quote_usd:
            raise TokenError(f"the price went up from {usd(claims.quote_usd)} to {usd(now_quote)} since it was confirmed")
        now_recurring = plan.quote.recurring if plan.quote else None
        if now_recurring != claims.recurring:
            raise TokenError("the billing terms changed since they were confirmed")
        return claims

    def spend(self, claims: TokenClaims) -> None:
        if not self.ledger.spend_token(claims.nonce, self.clock()):
            raise TokenError("the confirmation token was already used; each token confirms one call")

    # --- approvals through elicitation ----------------------------------------------------
    @staticmethod
    def _approval_key(tool: str, args: dict[str, Any], plan: Plan) -> str:
        """One call exactly: the tool, its arguments and what the user is shown it costs."""
        quote = plan.quote
        priced = f"{quote.amount_usd}/{quote.recurring}" if quote else "-"
        return hashlib.sha256(f"{tool}\n{canonical_args(args)}\n{priced}".encode()).hexdigest()

    def ask_approval(self, session: str, tool: str, args: dict[str, Any], plan: Plan) -> str:
        """The approval number shown in the question; the same one on every round of one call."""
        return self.ledger.ask_approval(session, self._approval_key(tool, args, plan), at=self.clock(),
                                        ttl=self.settings.token_ttl_seconds)

    def use_approval(self, session: str, tool: str, args: dict[str, Any], plan: Plan) -> bool:
        """Consume the user's approval of this call; False if it was used already or expired."""
        return self.ledger.use_approval(session, self._approval_key(tool, args, plan), at=self.clock(),
                                        ttl=self.settings.token_ttl_seconds)
