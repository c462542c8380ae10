"""The sandbox's core state: one balance, the charge log, the request log, the clock.

The balance is kept in 0.0001-USD units, like Novita's. Fractions of a unit are carried
exactly (a 512x512 FLUX image costs 7.5 units), so what a quote promises is what the
balance loses; the APIs show whole units.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Protocol

from novita_mcp.sandbox.clock import Clock, SystemClock
from novita_mcp.sandbox.errors import Family, SandboxError

__all__ = ["SandboxState", "Charge", "RequestRecord", "Domain", "UNITS_PER_USD", "BALANCE_REASON"]

UNITS_PER_USD = Decimal(10_000)

# The documented "not enough balance" reason per family (Novita docs: basic-error-code).
BALANCE_REASON: dict[str, str] = {
    "llm": "NOT_ENOUGH_BALANCE",
    "media": "BILLING_BALANCE_NOT_ENOUGH",
    "gpu": "BALANCE_NOT_ENOUGH",
    "billing": "BALANCE_NOT_ENOUGH",
    "dedicated": "NOT_ENOUGH_BALANCE",
}


@dataclass
class Charge:
    """One line of what was billed, as the billing endpoints report it."""

    id: int
    at: float
    category: str  # usage category: llm, gen_api, gpu, serverless, cloud_storage, llm_dedicated_endpoint, ...
    product_name: str
    amount_units: Decimal
    owner_id: str = ""
    product_id: str = ""
    bill_num0: Decimal = Decimal(0)  # llm: input tokens; gpu: card-seconds; media: images or seconds
    bill_num1: Decimal = Decimal(0)  # llm: output tokens
    unit_price0: Decimal = Decimal(0)
    unit_price1: Decimal = Decimal(0)
    mode: str = "usage"  # "usage" (pay as you go) or "fixed" (subscription)
    trade_type: str = ""  # fixed-term: monthly_new_buy | monthly_re_buy | monthly_re_config
    fixed_category: str = ""  # fixed-term category: gpu | local_storage | image | serverless | ...


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0
    at: float = 0.0


class Domain(Protocol):
    """A sandbox domain (account, llm, media, gpu, ...): routes plus its own state."""

    name: str
    routes: list[Any]

    def settle(self, now: float) -> None:
        """Charge whatever accrued (running GPUs, workers) up to ``now``; called before each request."""
        ...


@dataclass
class SandboxState:
    clock: Clock = field(default_factory=SystemClock)
    api_key: str = field(default_factory=lambda: "sk_sandbox_" + secrets.token_hex(12))
    balance_units: Decimal = Decimal(0)
    credit_limit_units: Decimal = Decimal(0)
    user_id: str = "1032922317920824"
    charges: list[Charge] = field(default_factory=list)
    requests: list[RequestRecord] = field(default_factory=list)
    domains: dict[str, Any] = field(default_factory=dict)
    bill_list_per_second: int = 10
    _bill_calls: list[float] = field(default_factory=list)
    _next_id: int = 1

    # --- money ----------------------------------------------------------------------
    @property
    def balance_usd(self) -> Decimal:
        return self.balance_units / UNITS_PER_USD

    def whole_units(self, value: Decimal) -> int:
        return int(value.to_integral_value(rounding=ROUND_FLOOR))

    def require_balance(self, family: Family, amount_units: Decimal) -> None:
        """Refuse, the way the family does, when the balance cannot cover ``amount_units``."""
        if amount_units > 0 and self.balance_units + self.credit_limit_units < amount_units:
            reason = BALANCE_REASON[family]
            raise SandboxError(family, reason, "not enough balance")

    def charge(self, family: Family | None, *, category: str, product_name: str, amount_units: Decimal,
               enforce: bool = True, at: float | None = None, **details: Any) -> Charge:
        """Take ``amount_units`` from the balance and log it; refuses first if it would go negative.

        ``family=None`` (or ``enforce=False``) charges unconditionally: used for time-based
        billing that has already happened (a GPU that ran), which may overdraw.
        """
        amount_units = Decimal(amount_units)
        if enforce and family is not None:
            self.require_balance(family, amount_units)
        self.balance_units -= amount_units
        record = Charge(id=self._next_id, at=self.clock.now() if at is None else at, category=category,
                        product_name=product_name, amount_units=amount_units, **details)
        self._next_id += 1
        self.charges.append(record)
        return record

    def top_up(self, usd: Decimal | float | str) -> None:
        self.balance_units += Decimal(str(usd)) * UNITS_PER_USD

    # --- time -------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def advance(self, seconds: float) -> None:
        """Move a manual (or sped-up) clock forward and settle every domain."""
        advance = getattr(self.clock, "advance", None)
        if advance is None:
            raise TypeError("this clock cannot be advanced")
        advance(seconds)
        self.settle()

    def settle(self) -> None:
        now = self.now()
        for domain in self.domains.values():
            settle = getattr(domain, "settle", None)
            if settle is not None:
                settle(now)

    def note_bill_list_call(self) -> bool:
        """True if this billing-list call is within the allowed rate."""
        now = self.now()
        self._bill_calls = [t for t in self._bill_calls if now - t < 1.0]
        if len(self._bill_calls) >= self.bill_list_per_second:
            return False
        self._bill_calls.append(now)
        return True

    def new_id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value

    def requests_to(self, prefix: str = "", method: str | None = None) -> list[RequestRecord]:
        """What reached the sandbox (for tests that prove a refused call sent nothing)."""
        return [r for r in self.requests if r.path.startswith(prefix) and (method is None or r.method == method)]

