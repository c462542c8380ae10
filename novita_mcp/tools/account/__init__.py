"""Toolset ``account``: balance and bills, all read-only (``bills``).

The toolset's id, description and default are declared here, once; its tool modules are
imported only when the toolset is loaded.
"""

from __future__ import annotations

from novita_mcp.toolkit import Toolset, ToolSpec

__all__ = ["TOOLSET"]


def _tools() -> tuple[ToolSpec, ...]:
    from novita_mcp.tools.account.bills import get_balance, list_fixed_term_bills, list_monthly_bills, list_usage_bills

    return (
        get_balance, list_usage_bills, list_fixed_term_bills, list_monthly_bills,
    )


TOOLSET = Toolset(
    id="account",
    description="Balance and bills: usage-based, subscriptions, monthly statements.",
    default=True,
    load=_tools,
)
