"""Shared pieces of the response models: tolerant, frozen, money as exact decimals."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

__all__ = ["APIModel", "units_to_usd", "usd_to_units", "Units", "LooseStr", "LooseInt", "UNITS_PER_USD"]

UNITS_PER_USD = Decimal(10_000)  # balance and billing amounts: 1 unit = 0.0001 USD


class APIModel(BaseModel):
    """Base of every Novita response model: frozen, ignores fields it does not know."""

    # defer_build: a model's validator is built when it first parses a response, not at import (start-up).
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, defer_build=True)


def units_to_usd(value: Any) -> Decimal:
    """0.0001-USD units (int or string, as Novita sends them) to exact dollars."""
    if value in (None, ""):
        return Decimal(0)
    try:
        return Decimal(str(value)) / UNITS_PER_USD
    except InvalidOperation:
        return Decimal(0)


def usd_to_units(value: Decimal) -> int:
    return int((value * UNITS_PER_USD).to_integral_value())


def _loose_str(value: Any) -> Any:
    return "" if value is None else str(value)


def _loose_int(value: Any) -> Any:
    if value in (None, ""):
        return 0
    try:
        return int(Decimal(str(value)))
    except InvalidOperation:
        return 0


Units = Annotated[Decimal, BeforeValidator(units_to_usd)]
"""A 0.0001-USD amount from the wire, held in dollars."""
LooseStr = Annotated[str, BeforeValidator(_loose_str)]
"""A field Novita sends as a string or a number; always kept as a string."""
LooseInt = Annotated[int, BeforeValidator(_loose_int)]
"""A field Novita sends as an int or a numeric string ("16")."""
