"""Shared pieces of the GPU toolsets: argument types, price lookups, labels, error mapping in plans."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from novita_mcp import ids
from novita_mcp.client.gpu import BillingMethod
from novita_mcp.client.gpu_models import CpuProduct, GpuProduct, Instance
from novita_mcp.pricing.gpu import ACTIVE_STATUSES, extra_rootfs_usd_per_hour, hourly_usd, product_price_usd
from novita_mcp.toolkit import Services, shown, shown_id, usd

__all__ = [
    "ACTIVE_STATUSES",
    "BILLED_STATUSES",
    "BILLING_WIRE",
    "Billing",
    "InstanceId",
    "Months",
    "PortSpec",
    "cpu_product",
    "gpu_product",
    "hourly_usd",
    "instance_hourly_usd",
    "label",
    "parse_ports",
]

Billing = Literal["on_demand", "spot", "monthly"]
BILLING_WIRE: dict[str, BillingMethod] = {
    "on_demand": "onDemand", "spot": "spot", "monthly": "monthly"}
InstanceId = ids.InstanceId
Months = Annotated[int, Field(ge=1, le=36)]
PortSpec = Annotated[str, Field(description="e.g. '8000/http', '22/tcp'.", pattern=r"^\d{1,5}/(http|tcp)$")]

BILLED_STATUSES = frozenset({"pulling", "running"})
_PORT = re.compile(r"^(\d{1,5})/(http|tcp)$")


def label(inst: Instance) -> str:
    name = f" {shown(inst.name)}" if inst.name else " (no name)"
    return f"instance {shown_id(inst.id)}{name}"


def parse_ports(ports: list[str] | None) -> list[tuple[int, str]] | None:
    if ports is None:
        return None
    parsed: list[tuple[int, str]] = []
    for spec in ports:
        match = _PORT.match(spec.strip())
        port = int(match.group(1)) if match else 0
        if not match or not 1 <= port <= 65535 or 2222 <= port <= 2224:
            raise ToolError(f"Port {spec!r} is not valid: use 'PORT/http' or 'PORT/tcp' with PORT 1-65535, "
                            "not 2222-2224. Nothing was sent.")
        parsed.append((port, match.group(2)))
    return parsed


async def gpu_product(app: Services, product_id: str, billing: Billing = "on_demand",
                      cluster_id: str | None = None) -> GpuProduct:
    products = await app.client.gpu.products(billing_method=BILLING_WIRE[billing], cluster_id=cluster_id)
    for product in products:
        if product.id == product_id:
            return product
    where = f" in cluster {cluster_id}" if cluster_id else ""
    choices = ", ".join(f"{p.id} ({p.name})" for p in products[:12]) or "none"
    raise ToolError(f"GPU product {product_id!r} is not offered{where} with {billing} billing. Products: {choices}. "
                    "Use list_gpu_products. Nothing was sent.")


async def cpu_product(app: Services, product_id: str, cluster_id: str | None = None) -> CpuProduct:
    products = await app.client.gpu.cpu_products(cluster_id=cluster_id)
    for product in products:
        if product.id == product_id:
            return product
    choices = ", ".join(f"{p.id} ({p.name})" for p in products[:12]) or "none"
    raise ToolError(f"CPU product {product_id!r} is not offered. Products: {choices}. Use list_cpu_products. "
                    "Nothing was sent.")


async def instance_hourly_usd(app: Services, inst: Instance) -> tuple[Decimal, str]:
    """(USD per hour while running, how it was computed) for an existing instance; 0 for a subscription."""
    if inst.billing == "monthly":
        return Decimal(0), "subscription: prepaid, no hourly charge"
    if inst.kind == "cpu":
        product_cpu = await cpu_product(app, inst.product_id)
        rate = hourly_usd(product_cpu.price, 1, inst.rootfs_size)
        return rate, f"{usd(product_cpu.usd_per_hour)}/h ({product_cpu.name})"
    billing: Billing = "spot" if inst.billing == "spot" else "on_demand"
    product = await gpu_product(app, inst.product_id, billing)
    price = product.spot_price if billing == "spot" else product.price
    gpus = max(inst.gpu_num, 1)  # a GPU instance has at least one; a missing count must not price it at $0
    rate = hourly_usd(price, gpus, inst.rootfs_size)
    basis = f"{usd(product_price_usd(price))} per GPU-hour x {gpus} ({product.name}, {billing})"
    disk = extra_rootfs_usd_per_hour(inst.rootfs_size)
    if disk:
        basis += f" + {usd(disk)}/h for disk above the free 60 GB"
    return rate, basis
