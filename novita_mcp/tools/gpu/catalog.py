"""Read tools of the ``gpu`` toolset: clusters and GPU / CPU products with prices and stock."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from novita_mcp import ids
from novita_mcp.client.gpu_models import GpuProduct
from novita_mcp.pricing.gpu import product_price_usd
from novita_mcp.toolkit import Context, Effect, Reply, services, tool, usd
from novita_mcp.tools._common import Limit, Offset, Page, page
from novita_mcp.tools.gpu.common import BILLING_WIRE, Billing

__all__ = ["list_clusters", "list_cpu_products", "list_gpu_products"]



class ClusterView(BaseModel):
    cluster_id: str
    name: str
    gpu_types_in_stock: list[str]
    network_storage: bool = Field(description="Whether network storage can be created and mounted here.")
    vpc_networks: bool


class Clusters(BaseModel):
    clusters: list[ClusterView]


@tool(title="List GPU clusters", effects={Effect.READ})
async def list_clusters(ctx: Context) -> Reply[Clusters]:
    """Novita's GPU clusters (regions): id, name, GPU types in stock now, network-storage support."""
    raw = await services(ctx).client.gpu.clusters()
    items = [ClusterView(cluster_id=c.id, name=c.name, gpu_types_in_stock=c.available_gpu_type,
                         network_storage=c.support_network_storage, vpc_networks=c.support_instance_network)
             for c in raw]
    text = "\n".join([f"{len(items)} cluster(s)."] +
                     [f"- {c.cluster_id} {c.name}: {', '.join(c.gpu_types_in_stock) or 'nothing in stock'}"
                      for c in items])
    return Reply(Clusters(clusters=items), text)


class MonthlyTier(BaseModel):
    months: int
    usd_per_gpu_month: Decimal


class GpuOffer(BaseModel):
    product_id: str = Field(description="Pass to create_instance.")
    name: str
    usd_per_gpu_hour: Decimal = Field(description="Price per GPU per hour for the billing asked for.")
    usd_per_hour_total: Decimal = Field(description="usd_per_gpu_hour x gpus (before disk above 60 GB).")
    on_demand_usd_per_gpu_hour: Decimal
    spot_usd_per_gpu_hour: Decimal
    monthly: list[MonthlyTier] = Field(description="Subscription price per GPU per month, by term.")
    cpu_per_gpu: int
    memory_gb_per_gpu: int
    max_rootfs_gb: int
    available: bool = Field(description="True when at least one cluster can deliver it now.")
    clusters_in_stock: list[str] = Field(description="'id name (free GPUs)' for each cluster with stock.")


class GpuOffers(BaseModel):
    gpus: int
    billing: Billing
    products: list[GpuOffer]
    page: Page


@tool(title="Find GPU products and prices", effects={Effect.READ})
async def list_gpu_products(
    ctx: Context,
    gpu_name: Annotated[str | None, Field(description="e.g. 'H100'.", max_length=100)] = None,
    gpus: Annotated[int, Field(ge=1, le=8, description="Per instance.")] = 1,
    cluster_id: ids.ClusterId | None = None,
    max_usd_per_gpu_hour: Annotated[Decimal | None, Field(ge=0, le=1000)] = None,
    billing: Billing = "on_demand",
    available_only: bool = True,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Reply[GpuOffers]:
    """GPU products, cheapest first: USD per hour and where in stock."""
    client = services(ctx).client.gpu
    clusters = [c for c in await client.clusters() if not cluster_id or c.id == cluster_id]
    wire = BILLING_WIRE[billing]
    by_id: dict[str, tuple[GpuProduct, list[str]]] = {}
    for cluster in clusters:
        for p in await client.products(cluster_id=cluster.id, gpu_num=gpus, product_name=gpu_name, billing_method=wire):
            _, stocked = by_id.setdefault(p.id, (p, []))
            free = p.available_gpu_number
            if p.available_deploy and (free is None or free >= gpus):
                stocked.append(f"{cluster.id} {cluster.name}" + (f" ({free} free)" if free is not None else ""))
    offers = []
    for p, stocked in by_id.values():
        rate = p.spot_usd_per_gpu_hour if billing == "spot" else p.usd_per_gpu_hour
        if max_usd_per_gpu_hour is not None and rate > max_usd_per_gpu_hour:
            continue
        if available_only and not stocked:
            continue
        offers.append(GpuOffer(
            product_id=p.id, name=p.name, usd_per_gpu_hour=rate, usd_per_hour_total=rate * gpus,
            on_demand_usd_per_gpu_hour=p.usd_per_gpu_hour, spot_usd_per_gpu_hour=p.spot_usd_per_gpu_hour,
            monthly=[MonthlyTier(months=t.month, usd_per_gpu_month=product_price_usd(t.price))
                     for t in p.monthly_price],
            cpu_per_gpu=p.cpu_per_gpu, memory_gb_per_gpu=p.memory_per_gpu, max_rootfs_gb=p.max_rootfs,
            available=bool(stocked), clusters_in_stock=stocked))
    offers.sort(key=lambda o: (o.usd_per_gpu_hour, o.name))
    chunk, pg = page(offers, offset, limit)
    head = f"{pg.total} GPU product(s) for {gpus} GPU(s), {billing}, cheapest first."
    lines = [f"- {o.product_id} {o.name}: {usd(o.usd_per_gpu_hour)}/GPU-h = {usd(o.usd_per_hour_total)}/h; "
             f"{'in stock: ' + ', '.join(o.clusters_in_stock) if o.available else 'sold out'}" for o in chunk]
    return Reply(GpuOffers(gpus=gpus, billing=billing, products=chunk, page=pg), "\n".join([head, *lines]))


class CpuOffer(BaseModel):
    product_id: str
    name: str
    vcpus: int
    memory_gb: int
    rootfs_gb: int
    usd_per_hour: Decimal
    available: bool


class CpuOffers(BaseModel):
    products: list[CpuOffer]


@tool(title="List CPU products", effects={Effect.READ})
async def list_cpu_products(
    ctx: Context,
    cluster_id: Annotated[ids.ClusterId | None, Field(description="Only this cluster.")] = None,
) -> Reply[CpuOffers]:
    """CPU-only products, cheapest first, for create_instance(kind='cpu')."""
    raw = await services(ctx).client.gpu.cpu_products(cluster_id=cluster_id)
    items = sorted((CpuOffer(product_id=p.id, name=p.name, vcpus=p.cpu_num, memory_gb=p.memory_size,
                             rootfs_gb=p.rootfs_size, usd_per_hour=p.usd_per_hour, available=p.available_deploy)
                    for p in raw), key=lambda o: o.usd_per_hour)
    text = "\n".join([f"{len(items)} CPU product(s)."] +
                     [f"- {o.product_id} {o.name}: {usd(o.usd_per_hour)}/h{'' if o.available else ' (sold out)'}"
                      for o in items])
    return Reply(CpuOffers(products=items), text)
