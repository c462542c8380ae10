"""Realistic starting data, so the first calls against the sandbox show something."""

from __future__ import annotations

from decimal import Decimal

from novita_mcp.sandbox.state import SandboxState

__all__ = ["seed_account", "SEED_BALANCE_USD"]

SEED_BALANCE_USD = Decimal("50.00")

_DAY = 86400


def seed_account(state: SandboxState) -> None:
    """A $50 balance and three weeks of past usage: LLM tokens, images, GPU hours, a subscription."""
    now = state.now()
    state.top_up(SEED_BALANCE_USD)

    def past(days_ago: float, **kwargs: object) -> None:
        amount = Decimal(str(kwargs.pop("amount_units")))
        state.charge(None, at=now - days_ago * _DAY, amount_units=amount, **kwargs)  # type: ignore[arg-type]  # kwargs are charge()'s own fields
        state.balance_units += amount  # history: the seeded balance is what is left after it

    for day in range(1, 21, 2):
        tokens_in, tokens_out = 120_000 + day * 1000, 30_000 + day * 500
        cost = Decimal(tokens_in + tokens_out) * Decimal(3900) / Decimal(1_000_000)
        past(day + 0.3, category="llm", product_name="meta-llama/llama-3.3-70b-instruct", amount_units=cost,
             bill_num0=Decimal(tokens_in), bill_num1=Decimal(tokens_out), unit_price0=Decimal(3900),
             unit_price1=Decimal(3900), product_id="llm-llama-3.3-70b")
    for day in (2, 5, 9, 14):
        past(day + 0.5, category="gen_api", product_name="flux-1-schnell", amount_units=Decimal(30) * 12,
             bill_num0=Decimal(12), unit_price0=Decimal(30), product_id="flux-1-schnell")
    for day, hours in ((3, 4), (8, 2.5), (15, 6)):
        seconds = Decimal(str(hours)) * 3600
        cost = seconds * Decimal(35000) / Decimal(3600) / Decimal(10)  # 1/100000 USD/h -> 0.0001 USD units
        past(day + 0.1, category="gpu", product_name="RTX 4090 24GB", amount_units=cost, bill_num0=seconds,
             unit_price0=Decimal(35000), owner_id=f"seedinst{day:02d}", product_id="1")
    past(18, category="gpu", product_name="RTX 4090 24GB (monthly)", amount_units=Decimal(1_800_000),
         mode="fixed", trade_type="monthly_new_buy", fixed_category="gpu", unit_price0=Decimal(1_800_000),
         bill_num0=Decimal(1), owner_id="seedmonthly01", product_id="1")
