"""What a guarded call will do and cost, as computed by the server (never by the model)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from novita_mcp.guard.text import one_line, shown, shown_id

__all__ = ["Effect", "Quote", "Plan", "Decision", "Verdict", "usd", "shown", "shown_id"]

HOURS_PER_DAY = 24
HOURS_PER_MONTH = 24 * 30


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

    def __post_init__(self) -> None:
        if not Decimal(self.amount_usd).is_finite() or self.amount_usd < 0:
            raise ValueError(f"a quote cannot be negative or undefined ({self.amount_usd}); {self.basis}")

    def describe(self) -> str:
        period = f" per {self.recurring}" if self.recurring else ""
        return f"{usd(self.amount_usd)}{period} ({self.basis})"

    @property
    def hourly_usd(self) -> Decimal:
        """The rate this quote adds to the account's burn, per hour (0 unless it recurs hourly)."""
        return self.amount_usd if self.recurring == "hour" else Decimal(0)

    @property
    def upfront_usd(self) -> Decimal:
        """What is charged once, now (a subscription's term is paid at once)."""
        return Decimal(0) if self.recurring == "hour" else self.amount_usd


@dataclass(frozen=True)
class Plan:
    """What the user is asked to approve: action, exact target, price, what cannot be undone.

    Built by the tool's plan function from server-side facts only; any string from the agent
    or from Novita in ``action``/``target``/``details`` goes in through ``shown`` (quoted, one
    line, escaped), and ``describe`` flattens every line again as a second line of defence.
    ``facts`` is what the plan read from Novita (an instance, a product...): the tool body
    receives the plan and uses them instead of reading again. ``check`` names the read that
    tells whether the action happened, for when its outcome is unknown; ``ends`` names a
    resource whose hourly charge this call stops (a stop or a delete).
    """

    action: str
    target: str
    quote: Quote | None = None
    irreversible: str | None = None
    gpus: int = 0
    details: tuple[str, ...] = field(default_factory=tuple)
    facts: Any = field(default=None, compare=False, repr=False)
    check: str | None = None
    ends: str | None = None  # a resource whose hourly charge stops counting once this call succeeds
    # For an outcome that turns out unknown: asks Novita whether the action happened. Returns the
    # resource id (or "" when there is none to name) if it did, None if it did not.
    find: Callable[[], Awaitable[str | None]] | None = field(default=None, compare=False, repr=False)

    @property
    def amount_usd(self) -> Decimal:
        return self.quote.amount_usd if self.quote is not None else Decimal(0)

    def describe(self) -> str:
        lines = [f"Action: {self.action}", f"Target: {self.target}"]
        if self.quote is not None:
            lines.append(f"Cost: {self.quote.describe()}")
            if self.quote.recurring == "hour" and self.quote.amount_usd > 0:
                rate = self.quote.amount_usd
                lines.append(f"This charge recurs every hour until stopped: {usd(rate * HOURS_PER_DAY)} per day, "
                             f"{usd(rate * HOURS_PER_MONTH)} per 30-day month if left running.")
            elif self.quote.recurring:
                lines.append(f"This charge recurs every {self.quote.recurring} until stopped.")
        lines.extend(self.details)
        if self.irreversible:
            lines.append(f"Cannot be undone: {self.irreversible}")
        return "\n".join(one_line(line, limit=400) for line in lines)


class Decision(StrEnum):
    ALLOW = "allow"
    CONFIRM = "confirm"
    DENY = "deny"


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str
    plan: Plan
