"""Account and billing: balance and the three bill lists (REFERENCE.md §3)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from novita_mcp.client._http import HTTPCore
from novita_mcp.client._models import APIModel, LooseStr, Units

__all__ = [
    "AccountAPI",
    "UserInfo",
    "BalanceDetail",
    "MonthlyBill",
    "UsageBill",
    "FixedTermBill",
    "CycleType",
    "UsageCategory",
    "FixedTermCategory",
]

CycleType = Literal["Hour", "Day", "Week", "Month"]
UsageCategory = Literal[
    "summary", "gpu", "llm", "serverless", "cloud_storage", "gen_api", "cloud_sandbox", "llm_dedicated_endpoint"
]
FixedTermCategory = Literal["summary", "gpu", "local_storage", "image", "serverless", "cloud_storage"]


class UserInfo(APIModel):
    allow_features: list[str] = Field(default_factory=list)
    credit_balance: Units = Decimal(0)
    free_trial: dict[str, int] = Field(default_factory=dict)


class BalanceDetail(APIModel):
    available_balance: Units = Field(Decimal(0), alias="availableBalance")
    cash_balance: Units = Field(Decimal(0), alias="cashBalance")
    credit_limit: Units = Field(Decimal(0), alias="creditLimit")
    outstanding_invoices: Units = Field(Decimal(0), alias="outstandingInvoices")
    pending_charges: Units = Field(Decimal(0), alias="pendingCharges")


class MonthlyBill(APIModel):
    bill_id: LooseStr = Field("", alias="billId")
    billing_month: LooseStr = Field("", alias="billingMonth")
    total_amount: Units = Field(Decimal(0), alias="totalAmount")
    origin_total_amount: Units = Field(Decimal(0), alias="originTotalAmount")
    voucher_pay_amount: Units = Field(Decimal(0), alias="voucherPayAmount")
    cash_pay_amount: Units = Field(Decimal(0), alias="cashPayAmount")
    debt_amount: Units = Field(Decimal(0), alias="debtAmount")
    status: LooseStr = ""
    invoice_url: LooseStr = Field("", alias="invoiceUrl")
    start_time: LooseStr = Field("", alias="startTime")
    end_time: LooseStr = Field("", alias="endTime")


class UsageBill(APIModel):
    start_time: LooseStr = Field("", alias="startTime")
    end_time: LooseStr = Field("", alias="endTime")
    product_name: LooseStr = Field("", alias="productName")
    category: LooseStr = ""
    owner_id: LooseStr = Field("", alias="ownerID")
    bill_num0: LooseStr = Field("", alias="billNum0")
    bill_num1: LooseStr = Field("", alias="billNum1")
    discount_price0: LooseStr = Field("", alias="discountPrice0")
    discount_price1: LooseStr = Field("", alias="discountPrice1")
    amount: Units = Decimal(0)
    voucher_amount: Units = Field(Decimal(0), alias="voucherAmount")
    pay_amount: Units = Field(Decimal(0), alias="payAmount")


class FixedTermBill(APIModel):
    start_time: LooseStr = Field("", alias="startTime")
    end_time: LooseStr = Field("", alias="endTime")
    product_name: LooseStr = Field("", alias="productName")
    product_category: LooseStr = Field("", alias="productCategory")
    owner_id: LooseStr = Field("", alias="ownerID")
    trade_mode: LooseStr = Field("", alias="tradeMode")
    trade_type: LooseStr = Field("", alias="tradeType")
    base_price: Units = Field(Decimal(0), alias="basePrice")
    bill_num: LooseStr = Field("", alias="billNum")
    amount: Units = Decimal(0)
    pay_amount: Units = Field(Decimal(0), alias="payAmount")
    cycle: LooseStr = ""
    create_time: LooseStr = Field("", alias="createTime")


class AccountAPI:
    """``client.account``: balance and bills."""

    def __init__(self, http: HTTPCore) -> None:
        self._http = http

    async def user_info(self) -> UserInfo:
        return UserInfo.model_validate(await self._http.request("GET", "/v3/user"))

    async def balance(self) -> BalanceDetail:
        return BalanceDetail.model_validate(await self._http.request("GET", "/openapi/v1/billing/balance/detail"))

    async def monthly_bills(self, *, start_month: str | None = None, page: int = 1, page_size: int = 12) -> list[MonthlyBill]:
        body = await self._http.request(
            "GET",
            "/openapi/v1/billing/monthly/bill",
            params={"startMonth": start_month, "page": page, "pageSize": page_size},
        )
        return [MonthlyBill.model_validate(item) for item in body.get("data") or []]

    async def usage_bills(
        self,
        *,
        cycle_type: CycleType,
        product_category: UsageCategory,
        start_time: int | None = None,
        end_time: int | None = None,
        product_name: str | None = None,
        owner_id: str | None = None,
    ) -> list[UsageBill]:
        body = await self._http.request(
            "GET",
            "/openapi/v1/billing/bill/list",
            params={
                "cycleType": cycle_type,
                "productCategory": product_category,
                "startTime": None if start_time is None else str(start_time),
                "endTime": None if end_time is None else str(end_time),
                "productName": product_name,
                "ownerId": owner_id,
            },
        )
        return [UsageBill.model_validate(item) for item in body.get("bills") or []]

    async def fixed_term_bills(
        self,
        *,
        category: FixedTermCategory = "summary",
        start_time: int | None = None,
        end_time: int | None = None,
        product_name: str | None = None,
        owner_id: str | None = None,
    ) -> list[FixedTermBill]:
        body = await self._http.request(
            "GET",
            "/openapi/v1/billing/bill/monthly/list",
            params={
                "category": category,
                "startTime": None if start_time is None else str(start_time),
                "endTime": None if end_time is None else str(end_time),
                "productName": product_name,
                "ownerId": owner_id,
            },
        )
        return [FixedTermBill.model_validate(item) for item in body.get("bills") or []]
