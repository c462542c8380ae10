"""Account and billing endpoints over the charge log (Novita docs: basic-get-user-info, basic-query-* billing pages)."""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from novita_mcp.sandbox.errors import SandboxError
from novita_mcp.sandbox.state import Charge, SandboxState

__all__ = ["BillingDomain", "USAGE_CATEGORIES", "FIXED_CATEGORIES", "CYCLES"]

USAGE_CATEGORIES = frozenset({
    "summary", "gpu", "llm", "serverless", "cloud_storage", "gen_api", "cloud_sandbox", "llm_dedicated_endpoint",
    "web_search", "bare_metal",
})
FIXED_CATEGORIES = frozenset({"summary", "gpu", "local_storage", "image", "serverless", "cloud_storage", "bare_metal"})
CYCLES = {"Hour", "Day", "Week", "Month"}


def _units(value: Decimal) -> str:
    return str(int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def _num(value: Decimal) -> str:
    """A quantity as Novita writes it: "5000", "2.5" (never "5E+3")."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _bucket(at: float, cycle: str) -> tuple[int, int]:
    moment = datetime.fromtimestamp(at, UTC)
    if cycle == "Hour":
        start = int(at // 3600 * 3600)
        return start, start + 3600
    day = int(at // 86400 * 86400)
    if cycle == "Day":
        return day, day + 86400
    if cycle == "Week":
        start = day - moment.weekday() * 86400
        return start, start + 7 * 86400
    first = datetime(moment.year, moment.month, 1, tzinfo=UTC)
    days = calendar.monthrange(moment.year, moment.month)[1]
    return int(first.timestamp()), int(first.timestamp()) + days * 86400


def _int_param(request: Request, name: str, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise SandboxError("billing", "INVALID_REQUEST_BODY", f"{name} must be an integer", status=400) from None


def _in_window(charge: Charge, start: int | None, end: int | None) -> bool:
    return (not start or charge.at >= start) and (not end or charge.at < end)


class BillingDomain:
    name = "billing"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.routes = [
            Route("/v3/user", self.user, methods=["GET"]),
            Route("/openapi/v1/billing/balance/detail", self.balance_detail, methods=["GET"]),
            Route("/openapi/v1/billing/monthly/bill", self.monthly_bill, methods=["GET"]),
            Route("/openapi/v1/billing/bill/list", self.usage_bills, methods=["GET"]),
            Route("/openapi/v1/billing/bill/monthly/list", self.fixed_term_bills, methods=["GET"]),
        ]

    def settle(self, now: float) -> None:
        """Billing accrues nothing by itself."""

    async def user(self, request: Request) -> JSONResponse:
        return JSONResponse({
            "allow_features": ["gpu_instance", "serverless", "llm", "gen_api"],
            "credit_balance": self.state.whole_units(self.state.balance_units),
            "free_trial": {},
        })

    async def balance_detail(self, request: Request) -> JSONResponse:
        state = self.state
        available = state.balance_units + state.credit_limit_units
        outstanding = -state.balance_units if state.balance_units < 0 else Decimal(0)
        return JSONResponse({
            "availableBalance": str(state.whole_units(max(available, Decimal(0)))),
            "cashBalance": str(state.whole_units(max(state.balance_units, Decimal(0)))),
            "creditLimit": str(state.whole_units(state.credit_limit_units)),
            "outstandingInvoices": str(state.whole_units(outstanding)),
            "pendingCharges": "0",
        })

    def _limit_rate(self) -> None:
        if not self.state.note_bill_list_call():
            raise SandboxError("billing", "LIST_BILL_TOO_FAST", "list bill too fast, please retry later",
                               headers={"Retry-After": "1"})

    async def monthly_bill(self, request: Request) -> JSONResponse:
        self._limit_rate()
        start_month = request.query_params.get("startMonth")
        if start_month:
            try:
                datetime.strptime(start_month, "%Y-%m")
            except ValueError:
                raise SandboxError("billing", "INVALID_BILL_CYCLE", "startMonth must be YYYY-MM") from None
        page = _int_param(request, "page", 1) or 1
        page_size = _int_param(request, "pageSize", 10) or 10
        if page < 1 or not 1 <= page_size <= 100:
            raise SandboxError("billing", "INVALID_REQUEST_BODY", "page >= 1 and 1 <= pageSize <= 100", status=400)
        months: dict[str, list[Charge]] = defaultdict(list)
        for charge in self.state.charges:
            months[datetime.fromtimestamp(charge.at, UTC).strftime("%Y-%m")].append(charge)
        current = datetime.fromtimestamp(self.state.now(), UTC).strftime("%Y-%m")
        keys = sorted((m for m in months if not start_month or m >= start_month), reverse=True)
        window = keys[(page - 1) * page_size : page * page_size]
        data = []
        for month in window:
            total = sum((c.amount_units for c in months[month]), Decimal(0))
            start, end = _bucket(months[month][0].at, "Month")
            done = month < current
            data.append({
                "billId": f"bill-{month.replace('-', '')}", "userId": self.state.user_id, "billingMonth": month,
                "totalAmount": _units(total), "originTotalAmount": _units(total), "voucherPayAmount": "0",
                "cashPayAmount": _units(total) if done else "0", "debtAmount": "0",
                "repaidAmount": "0", "status": "paid" if done else "pending",
                "invoiceUrl": f"https://sandbox.novita.invalid/invoices/{month}.pdf" if done else "",
                "startTime": str(start), "endTime": str(end),
            })
        return JSONResponse({"data": data})

    async def usage_bills(self, request: Request) -> JSONResponse:
        self._limit_rate()
        q = request.query_params
        cycle = q.get("cycleType")
        category = q.get("productCategory")
        if cycle not in CYCLES:
            raise SandboxError("billing", "INVALID_BILL_CYCLE", f"invalid cycleType {cycle!r}")
        if category not in USAGE_CATEGORIES:
            raise SandboxError("billing", "INVALID_PRODUCT_CATEGORY", f"invalid productCategory {category!r}")
        start, end = _int_param(request, "startTime"), _int_param(request, "endTime")
        name, owner = (q.get("productName") or "").lower(), q.get("ownerId") or ""
        groups: dict[tuple[Any, ...], list[Charge]] = defaultdict(list)
        for c in self.state.charges:
            if c.mode != "usage" or not _in_window(c, start, end):
                continue
            if category != "summary" and c.category != category:
                continue
            if name and name not in c.product_name.lower():
                continue
            if owner and c.owner_id != owner:
                continue
            window = _bucket(c.at, cycle)
            key = (window, c.category) if category == "summary" else (window, c.category, c.product_name, c.owner_id)
            groups[key].append(c)
        bills = []
        for key in sorted(groups, key=lambda k: (k[0][0], k[1:]), reverse=True):
            items = groups[key]
            first = items[0]
            amount = sum((c.amount_units for c in items), Decimal(0))
            summary = category == "summary"
            bills.append({
                "userId": self.state.user_id, "startTime": str(key[0][0]), "endTime": str(key[0][1]),
                "billingMethod": "1", "productName": first.category if summary else first.product_name,
                "category": first.category, "ownerID": "" if summary else first.owner_id,
                "billNum0": "0" if summary else _num(sum((c.bill_num0 for c in items), Decimal(0))),
                "billNum1": "0" if summary else _num(sum((c.bill_num1 for c in items), Decimal(0))),
                "basePrice0": "0" if summary else _num(first.unit_price0), "basePrice1": "0",
                "discountPrice0": "0" if summary else _num(first.unit_price0),
                "discountPrice1": "0" if summary else _num(first.unit_price1),
                "amount": _units(amount), "voucherAmount": "0", "payAmount": _units(amount),
                "payAmountDisplay": _units(amount), "pricePrecision": "4",
                "productId": "" if summary else first.product_id,
            })
        return JSONResponse({"bills": bills})

    async def fixed_term_bills(self, request: Request) -> JSONResponse:
        self._limit_rate()
        q = request.query_params
        category = q.get("category") or "summary"
        if category not in FIXED_CATEGORIES:
            raise SandboxError("billing", "INVALID_PRODUCT_CATEGORY", f"invalid category {category!r}")
        start, end = _int_param(request, "startTime"), _int_param(request, "endTime")
        name, owner = (q.get("productName") or "").lower(), q.get("ownerId") or ""
        bills = []
        for c in sorted(self.state.charges, key=lambda c: c.at, reverse=True):
            if c.mode != "fixed" or not _in_window(c, start, end):
                continue
            if category != "summary" and c.fixed_category != category:
                continue
            if (name and name not in c.product_name.lower()) or (owner and c.owner_id != owner):
                continue
            begin, finish = _bucket(c.at, "Month")
            bills.append({
                "userId": self.state.user_id, "startTime": str(int(c.at)), "endTime": str(int(c.at) + 30 * 86400),
                "memberId": "", "productName": c.product_name, "productCategory": c.fixed_category or "gpu",
                "ownerID": c.owner_id, "tradeMode": "monthly", "tradeType": c.trade_type or "monthly_new_buy",
                "basePrice": _units(c.unit_price0), "billNum": _num(c.bill_num0 or Decimal(1)),
                "amount": _units(c.amount_units), "voucherAmount": "0", "payAmount": _units(c.amount_units),
                "payAmountDisplay": _units(c.amount_units), "pricePrecision": "4", "createTime": str(int(c.at)),
                "cycle": datetime.fromtimestamp(begin, UTC).strftime("%Y-%m"), "storageDays": "0",
            })
        return JSONResponse({"bills": bills})
