"""Clusters and GPU / CPU products (Novita docs: gpu-instance-list-clusters, -list-products, -list-cpu-products), with stock per cluster.

Prices are in 1/100000 USD per hour per GPU (35000 -> $0.35/h), as the products endpoint
sends them. Novita publishes no price list for most of these; the figures below are our
estimates and this table is the ONE place they live (the RTX 4090 matches the billing
seed in ``seed.py``). Tools quote from what ``/products`` returns, never from this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from novita_mcp.sandbox.errors import SandboxError
from novita_mcp.sandbox.state import SandboxState

__all__ = [
    "BILLING_METHODS",
    "CLUSTERS",
    "CPU_PRODUCTS",
    "GPU_BASE",
    "GPU_PRODUCTS",
    "CatalogDomain",
    "Cluster",
    "CpuProduct",
    "GpuProduct",
]

GPU_BASE = "/gpu-instance/openapi/v1"
BILLING_METHODS = ("onDemand", "monthly", "spot")


@dataclass(frozen=True)
class Cluster:
    id: str
    name: str
    network_storage: bool = True
    instance_network: bool = True


@dataclass(frozen=True)
class GpuProduct:
    id: str
    name: str
    price: int  # 1/100000 USD per GPU-hour, on demand
    spot_price: int
    monthly: tuple[tuple[int, int], ...]  # (month, price per GPU per month at that term)
    cpu_per_gpu: int
    memory_per_gpu: int
    disk_per_gpu: int
    stock: dict[str, int] = field(default_factory=dict)  # cluster id -> free GPUs right now
    max_gpus: int = 8
    min_rootfs: int = 10
    max_rootfs: int = 500
    billing_methods: tuple[str, ...] = BILLING_METHODS

    def free_in(self, cluster_id: str) -> int:
        return self.stock.get(cluster_id, 0)

    def monthly_unit(self, month: int) -> int | None:
        """Per-GPU monthly price for a term: the tier of the longest listed term not above ``month``."""
        tiers = [price for m, price in sorted(self.monthly) if m <= month]
        return tiers[-1] if tiers else None


@dataclass(frozen=True)
class CpuProduct:
    id: str
    name: str
    cpu_num: int
    memory_size: int
    rootfs_size: int
    local_volume_size: int
    price: int  # 1/100000 USD per hour
    stock: dict[str, int] = field(default_factory=dict)  # cluster id -> free instances


CLUSTERS: tuple[Cluster, ...] = (
    Cluster("1", "US-CA-06"),
    Cluster("5", "EU-01"),
    Cluster("8", "AS-SGP-02", network_storage=False),
)

_TERMS = (1, 3, 6, 12)


def _monthly(first_month: int) -> tuple[tuple[int, int], ...]:
    """Longer terms are cheaper per month: 0%, 5%, 10%, 15% off."""
    return tuple((m, first_month * (100 - off) // 100) for m, off in zip(_TERMS, (0, 5, 10, 15), strict=True))


GPU_PRODUCTS: tuple[GpuProduct, ...] = (
    GpuProduct("1", "RTX 4090 24GB", 35_000, 17_500, _monthly(18_000_000), 16, 62, 60,
               stock={"1": 24, "5": 16, "8": 8}),
    GpuProduct("2", "L40S 48GB", 55_000, 27_500, _monthly(28_000_000), 16, 62, 100, stock={"1": 8, "5": 0}),
    GpuProduct("3", "A100 SXM 80GB", 129_000, 65_000, _monthly(70_000_000), 16, 120, 200, stock={"1": 0, "5": 4}),
    GpuProduct("4", "H100 SXM 80GB", 199_000, 99_500, _monthly(110_000_000), 24, 240, 400,
               stock={"1": 8, "5": 0, "8": 2}, max_rootfs=2000),
    GpuProduct("5", "H200 SXM 141GB", 299_000, 150_000, _monthly(160_000_000), 24, 240, 400,
               stock={"1": 0, "5": 0}, max_rootfs=2000),
    GpuProduct("6", "RTX 3090 24GB", 21_000, 10_500, _monthly(11_000_000), 8, 32, 60, stock={"8": 12},
               billing_methods=("onDemand", "spot")),
)

CPU_PRODUCTS: tuple[CpuProduct, ...] = (
    CpuProduct("cpu-2c4g", "CPU 2 vCPU 4GB", 2, 4, 20, 20, 2_000, stock={"1": 50, "5": 50, "8": 50}),
    CpuProduct("cpu-8c32g", "CPU 8 vCPU 32GB", 8, 32, 50, 50, 8_000, stock={"1": 20, "5": 0}),
    CpuProduct("cpu-32c128g", "CPU 32 vCPU 128GB", 32, 128, 100, 100, 30_000, stock={"1": 4}),
)


def _int_query(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise SandboxError("gpu", "VALIDATOR_PARAM", f"{name} must be an integer") from None


def _inventory(free: int) -> str:
    return "none" if free <= 0 else "low" if free < 4 else "normal" if free < 16 else "high"


class CatalogDomain:
    name = "gpu_catalog"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.clusters = {c.id: c for c in CLUSTERS}
        self.gpu_products = {p.id: p for p in GPU_PRODUCTS}
        self.cpu_products = {p.id: p for p in CPU_PRODUCTS}
        self.routes = [
            Route(GPU_BASE + "/clusters", self.list_clusters, methods=["GET"]),
            Route(GPU_BASE + "/products", self.list_products, methods=["GET"]),
            Route(GPU_BASE + "/cpu/products", self.list_cpu_products, methods=["GET"]),
        ]

    def settle(self, now: float) -> None:
        """The catalogue accrues nothing."""

    def cluster(self, cluster_id: str) -> Cluster:
        if cluster_id not in self.clusters:
            raise SandboxError("gpu", "RESOURCE_NOT_FOUND", f"cluster {cluster_id!r} not found")
        return self.clusters[cluster_id]

    def _check_cluster(self, cluster_id: str) -> None:
        if cluster_id:
            self.cluster(cluster_id)

    async def list_clusters(self, request: Request) -> JSONResponse:
        data = []
        for c in CLUSTERS:
            types = [p.name for p in self.gpu_products.values() if p.free_in(c.id) > 0]
            data.append({"id": c.id, "name": c.name, "availableGpuType": types,
                         "supportNetworkStorage": c.network_storage, "supportInstanceNetwork": c.instance_network})
        return JSONResponse({"data": data})

    async def list_products(self, request: Request) -> JSONResponse:
        q = request.query_params
        cluster_id = q.get("clusterId") or ""
        self._check_cluster(cluster_id)
        gpu_num = _int_query(request, "gpuNum") or 0
        if not 0 <= gpu_num <= 8:
            raise SandboxError("gpu", "VALIDATOR_PARAM", "gpuNum must be between 0 and 8")
        method = q.get("billingMethod") or "onDemand"
        if method not in BILLING_METHODS:
            raise SandboxError("gpu", "VALIDATOR_PARAM", f"billingMethod must be one of {', '.join(BILLING_METHODS)}")
        name = (q.get("productName") or "").lower()
        min_cpu, min_mem = _int_query(request, "minCpuPerGpu") or 0, _int_query(request, "minMemoryPerGpu") or 0
        min_rootfs = _int_query(request, "minRootFSSize") or 0
        data = [self._product_json(p, cluster_id) for p in self.gpu_products.values()
                if (not cluster_id or cluster_id in p.stock) and name in p.name.lower()
                and method in p.billing_methods and gpu_num <= p.max_gpus and p.cpu_per_gpu >= min_cpu
                and p.memory_per_gpu >= min_mem and p.max_rootfs >= min_rootfs]
        return JSONResponse({"data": data})

    def _product_json(self, p: GpuProduct, cluster_id: str) -> dict[str, Any]:
        free = p.free_in(cluster_id) if cluster_id else max(p.stock.values(), default=0)
        return {
            "id": p.id, "name": p.name, "cpuPerGpu": p.cpu_per_gpu, "memoryPerGpu": p.memory_per_gpu,
            "diskPerGpu": p.disk_per_gpu, "availableDeploy": free > 0, "minRootFS": p.min_rootfs,
            "maxRootFS": p.max_rootfs, "minLocalStorage": 0, "maxLocalStorage": 0,
            "regions": [self.clusters[c].name for c in p.stock if c in self.clusters],
            "price": p.price,
            "monthlyPrice": [{"price": price, "month": m} for m, price in p.monthly]
            if "monthly" in p.billing_methods else [],
            "billingMethods": list(p.billing_methods),
            "spotPrice": str(p.spot_price),  # a string in the docs, an int in the unofficial spec
            "inventoryState": _inventory(free),
            "availableGpuNumber": free,  # open question 16: present here, tolerated if absent
        }

    async def list_cpu_products(self, request: Request) -> JSONResponse:
        cluster_id = request.query_params.get("clusterId") or ""
        self._check_cluster(cluster_id)
        name = (request.query_params.get("productName") or "").lower()
        data = []
        for p in self.cpu_products.values():
            if (cluster_id and cluster_id not in p.stock) or name not in p.name.lower():
                continue
            free = p.stock.get(cluster_id, 0) if cluster_id else max(p.stock.values(), default=0)
            data.append({"id": p.id, "name": p.name, "cpuNum": p.cpu_num, "memorySize": p.memory_size,
                         "rootfsSize": p.rootfs_size, "localVolumeSize": p.local_volume_size,
                         "availableDeploy": free > 0, "price": p.price,
                         "regions": [self.clusters[c].name for c in p.stock if c in self.clusters]})
        return JSONResponse({"data": data})
