"""What a guarded call will do and cost, as computed by the server (never by the model)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Literal

__all__ = ["Effect", "Quote", "Plan", "Decision", "Verdict", "usd"]


class Effect(StrEnum):
    READ = "read"
    BILLABLE = "billable"  # spends money
    DESTRUCTIVE = "destructive"  # irreversible or disruptive: delete, stop, migrate, ...


def usd(amount: Decimal) -> str:
    """Dollars for people: $0.35, $0.00075, $1,234.50."""
    amount = Decimal(amount)
    if amount == 0:
        return "$0.00"
    if abs(amount) >= Decimal("0.01"):
        return f"${amount:,.2f}" if amount == amount.quantize(Decimal("0.01")) else f"${amount:,.4f}".rstrip("0")
    return f"${amount.normalize():f}"


@dataclass(frozen=True)
class Quote:
    """A server-computed price. ``amount_usd`` is per period when ``recurring`` is set."""

    amount_usd: Decimal
    basis: str
    recurring: Literal["hour", "month"] | None = None

    def describe(self) -> str:
        period = f" per {self.recurring}" if self.recurring else ""
        return f"{usd(self.amount_usd)}{period} ({self.basis})"


@dataclass(frozen=True)
class Plan:
    """What the user is asked to approve: action, exact target, price, what cannot be undone."""

    action: str
    target: str
    quote: Quote | None = None
    irreversible: str | None = None
    gpus: int = 0
    details: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        lines = [f"Action: {self.action}", f"Target: {self.target}"]
        if self.quote is not None:
            lines.append(f"Cost: {self.quote.describe()}")
            if self.quote.recurring:
                lines.append(f"This charge recurs every {self.quote.recurring} until stopped.")
        lines.extend(self.details)
        if self.irreversible:
            lines.append(f"Cannot be undone: {self.irreversible}")
        return "\n".join(lines)


class Decision(StrEnum):
    ALLOW = "allow"
    CONFIRM = "confirm"
    DENY = "deny"


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str
    plan: Plan
