"""What a guarded tool answers besides its own result: the approval form and the outcome wrapper."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from novita_mcp.guard.plan import Plan

__all__ = ["Approval", "ConfirmationView", "Outcome", "quote_record"]

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
    plan: str = Field(description="The whole plan as the user should see it.")
    instructions: str


class Outcome(BaseModel, Generic[M]):
    """The result of a guarded tool: done, or waiting for the user's confirmation.

    ``note`` is set when the action was done but something after it (a read) failed;
    ``result`` may then be empty and ``resource_id`` names what was created or changed.
    """

    status: Literal["done", "confirmation_required"]
    result: M | None = None
    confirmation: ConfirmationView | None = None
    note: str | None = None
    resource_id: str | None = None


def quote_record(plan: Plan) -> dict[str, Any] | None:
    """The quote as the audit log keeps it."""
    if plan.quote is None:
        return None
    return {"usd": str(plan.quote.amount_usd), "basis": plan.quote.basis, "recurring": plan.quote.recurring}
