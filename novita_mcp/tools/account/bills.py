"""Toolset ``account``: balance and bills (all read-only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from novita_mcp.client.account import CycleType
from novita_mcp.toolkit import Context, Effect, Reply, services, tool, usd
from novita_mcp.tools._common import DAY, Limit, Offset, Page, iso, page, parse_day

__all__ = ["get_balance", "list_usage_bills", "list_fixed_term_bills", "list_monthly_bills"]

Cycle = Literal["hour", "day", "week", "month"]
_CYCLE: dict[Cycle, CycleType] = {"hour": "Hour", "day": "Day", "week": "Week", "month": "Month"}
UsageCategory = Literal["summary", "gpu", "llm", "serverless", "cloud_storage", "gen_api", "llm_dedicated_endpoint"]
FixedCategory = Literal["summary", "gpu", "local_storage", "image", "serverless", "cloud_storage"]

DateArg = Annotated[str | None, Field(description="UTC.", pattern=r"^\d{4}-\d{2}-\d{2}$")]


class Balance(BaseModel):
    available_usd: Decimal = Field(description="What can be spent now (cash plus credit).")
    cash_usd: Decimal
    credit_limit_usd: Decimal
    outstanding_usd: Decimal = Field(description="Currently owed.")
    pending_charges_usd: Decimal


@tool(title="Account balance", effects={Effect.READ})
async def get_balance(ctx: Context) -> Reply[Balance]:
    """The Novita account's balance in USD: available to spend, cash, credit limit and what is owed."""
    b = await services(ctx).client.account.balance()
    data = Balance(available_usd=b.available_balance, cash_usd=b.cash_balance, credit_limit_usd=b.credit_limit,
                   outstanding_usd=b.outstanding_invoices, pending_charges_usd=b.pending_charges)
    text = (f"Available: {usd(data.available_usd)} (cash {usd(data.cash_usd)}, credit limit "
            f"{usd(data.credit_limit_usd)}, owed {usd(data.outstanding_usd)}).")
    return Reply(data, text)


class UsageLine(BaseModel):
    period_start: str
    period_end: str
    product: str
    category: str
    resource_id: str = Field(description="Instance or endpoint id when the charge belongs to one.")
    quantity: str = Field(description="LLM: input tokens; GPU: GPU-seconds; media: units.")
    quantity_2: str = Field(description="LLM: output tokens; empty otherwise.")
    amount_usd: Decimal


class UsageBills(BaseModel):
    window_start: str
    window_end: str
    cycle: Cycle
    category: UsageCategory
    total_usd: Decimal = Field(description="Sum over every matching line, not only this page.")
    bills: list[UsageLine]
    page: Page


def _window(start_date: str | None, end_date: str | None, now: float, default_days: int) -> tuple[int, int]:
    end = parse_day(end_date, "end_date") + DAY if end_date else int(now) + 1
    start = parse_day(start_date, "start_date") if start_date else end - default_days * DAY
    if start >= end:
        raise ToolError("start_date must be before end_date.")
    if end - start > 31 * DAY + 1:
        raise ToolError("The window may span at most 31 days (a Novita limit); narrow start_date/end_date.")
    return start, end


@tool(title="Usage-based bills", effects={Effect.READ})
async def list_usage_bills(
    ctx: Context,
    cycle: Cycle = "day",
    category: Annotated[UsageCategory, Field(description="summary: a line per category.")] = "summary",
    product_name: Annotated[str | None, Field(max_length=200)] = None,
    resource_id: Annotated[str | None, Field(description="Instance/endpoint id.", max_length=100)] = None,
    start_date: DateArg = None,
    end_date: DateArg = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Reply[UsageBills]:
    """Pay-as-you-go charges, newest first; default the last 7 days, at most 31."""
    app = services(ctx)
    start, end = _window(start_date, end_date, app.guard.clock(), 7)
    raw = await app.client.account.usage_bills(
        cycle_type=_CYCLE[cycle], product_category=category, start_time=start, end_time=end,
        product_name=product_name, owner_id=resource_id,
    )
    lines = [UsageLine(period_start=iso(b.start_time), period_end=iso(b.end_time), product=b.product_name,
                       category=b.category, resource_id=b.owner_id, quantity=b.bill_num0, quantity_2=b.bill_num1,
                       amount_usd=b.amount) for b in raw]
    total = sum((line.amount_usd for line in lines), Decimal(0))
    chunk, pg = page(lines, offset, limit)
    data = UsageBills(window_start=iso(start), window_end=iso(end), cycle=cycle, category=category, total_usd=total,
                      bills=chunk, page=pg)
    head = f"{pg.total} line(s) by {cycle}, {usd(total)} in total, {iso(start)[:10]} to {iso(end - 1)[:10]}."
    body = [f"- {b.period_start[:16]} {b.product}: {usd(b.amount_usd)}" for b in chunk[:10]]
    more = [f"(showing {pg.returned}; next_offset={pg.next_offset})"] if pg.next_offset is not None else []
    return Reply(data, "\n".join([head, *body, *more]))


class FixedTermLine(BaseModel):
    product: str
    category: str
    resource_id: str
    trade_type: str = Field(description="monthly_new_buy | monthly_re_buy | monthly_re_config")
    cycle: str
    created: str
    monthly_price_usd: Decimal
    amount_usd: Decimal


class FixedTermBills(BaseModel):
    total_usd: Decimal
    bills: list[FixedTermLine]
    page: Page


@tool(title="Subscription (fixed-term) bills", effects={Effect.READ})
async def list_fixed_term_bills(
    ctx: Context,
    category: FixedCategory = "summary",
    product_name: Annotated[str | None, Field(max_length=200)] = None,
    resource_id: Annotated[str | None, Field(description="Instance id.", max_length=100)] = None,
    start_date: DateArg = None,
    end_date: DateArg = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Reply[FixedTermBills]:
    """Subscription purchases and renewals."""
    app = services(ctx)
    start = parse_day(start_date, "start_date") if start_date else None
    end = parse_day(end_date, "end_date") + DAY if end_date else None
    raw = await app.client.account.fixed_term_bills(category=category, start_time=start, end_time=end,
                                                    product_name=product_name, owner_id=resource_id)
    lines = [FixedTermLine(product=b.product_name, category=b.product_category, resource_id=b.owner_id,
                           trade_type=b.trade_type, cycle=b.cycle, created=iso(b.create_time),
                           monthly_price_usd=b.base_price, amount_usd=b.amount) for b in raw]
    total = sum((line.amount_usd for line in lines), Decimal(0))
    chunk, pg = page(lines, offset, limit)
    text = "\n".join([f"{pg.total} subscription bill(s), {usd(total)} in total.",
                      *[f"- {b.created[:10]} {b.product} ({b.trade_type}): {usd(b.amount_usd)}" for b in chunk[:10]]])
    return Reply(FixedTermBills(total_usd=total, bills=chunk, page=pg), text)


class MonthlyStatement(BaseModel):
    month: str
    total_usd: Decimal
    paid_cash_usd: Decimal
    voucher_usd: Decimal
    owed_usd: Decimal
    status: str = Field(description="pending (month not closed) | outed (payment due) | paid | overdue | voided")
    invoice_url: str


class MonthlyStatements(BaseModel):
    statements: list[MonthlyStatement]


@tool(title="Monthly statements", effects={Effect.READ})
async def list_monthly_bills(
    ctx: Context,
    start_month: Annotated[str | None, Field(description="First month to include, YYYY-MM.",
                                             pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
    limit: Annotated[int, Field(ge=1, le=24, description="Most months to return.")] = 6,
) -> Reply[MonthlyStatements]:
    """Monthly statements, newest first, with status and invoice."""
    raw = await services(ctx).client.account.monthly_bills(start_month=start_month, page=1, page_size=limit)
    items = [MonthlyStatement(month=b.billing_month, total_usd=b.total_amount, paid_cash_usd=b.cash_pay_amount,
                              voucher_usd=b.voucher_pay_amount, owed_usd=b.debt_amount, status=b.status,
                              invoice_url=b.invoice_url) for b in raw]
    text = "\n".join([f"{len(items)} monthly statement(s)."] +
                     [f"- {m.month}: {usd(m.total_usd)} ({m.status})" for m in items])
    return Reply(MonthlyStatements(statements=items), text)
