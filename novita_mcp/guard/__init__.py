"""Guardrails: the plan, the policy, confirmations, the spend ledger and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from novita_mcp.guard.audit import AuditLog, redact
from novita_mcp.guard.burn import running_burners
from novita_mcp.guard.guard import ConfirmationTicket, Guard
from novita_mcp.guard.ledger import SpendLedger, SQLiteLedger
from novita_mcp.guard.ledger_factory import open_ledger
from novita_mcp.guard.plan import Decision, Effect, Plan, Quote, Verdict, usd
from novita_mcp.guard.policy import Burner, SpendFacts, decide
from novita_mcp.guard.tokens import TokenError, TokenSigner, load_or_create_secret

if TYPE_CHECKING:
    from novita_mcp.client import NovitaClient
    from novita_mcp.settings import Settings

__all__ = [
    "Guard", "ConfirmationTicket", "AuditLog", "redact", "SpendLedger", "SQLiteLedger", "Decision", "Effect", "Plan",
    "Quote", "Verdict", "usd", "SpendFacts", "decide", "TokenError", "TokenSigner", "build_guard",
]


def build_guard(settings: Settings, client: NovitaClient, *, clock: Callable[[], float]) -> Guard:
    """The guard for one server lifespan, with the ledger, audit log and secret from settings."""
    if settings.token_secret is not None:
        secret = settings.token_secret.get_secret_value().encode()
    else:
        secret = load_or_create_secret(settings.state_dir / "token-secret")
    key = settings.api_key.get_secret_value() if settings.api_key is not None else ""

    async def balance() -> Decimal:
        return (await client.account.balance()).available_balance

    async def burners() -> tuple[Burner, ...]:
        return await running_burners(client)

    ledger, audit_sink = open_ledger(settings)
    return Guard(
        settings,
        ledger=ledger,
        audit=AuditLog(settings.resolved_audit_log_path, secrets=(key,), sink=audit_sink),
        signer=TokenSigner(secret),
        balance=balance,
        burners=burners,
        clock=clock,
    )
