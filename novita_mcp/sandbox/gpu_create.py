"""Validating a create request (Novita docs: gpu-instance-create-instance) into an ``Instance``; subscription charges; seed data."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from novita_mcp.sandbox.errors import SandboxError
from novita_mcp.sandbox.gpu_catalog import CatalogDomain, CpuProduct, GpuProduct
from novita_mcp.sandbox.gpu_lifecycle import Instance
from novita_mcp.sandbox.state import SandboxState

__all__ = ["MONTH_SECONDS", "build_instance", "monthly_charge", "parse_port_list", "seed_instances"]

MONTH_SECONDS = 30 * 86400
_RESERVED_PORTS = range(2222, 2225)
_MAX_PORTS_AND_TOOLS = 15


def _bad(message: str) -> SandboxError:
    return SandboxError("gpu", "VALIDATOR_PARAM", message)


def _port(value: Any, kind: Any) -> tuple[int, str]:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise _bad(f"port {value!r} is not a number") from None
    if not 1 <= port <= 65535 or port in _RESERVED_PORTS:
        raise _bad(f"port {port} must be 1-65535 and not 2222-2224")
    if kind not in ("tcp", "http"):
        raise _bad(f"port type {kind!r} must be tcp or http")
    return port, str(kind)


def parse_port_list(raw: Any, tools: int) -> list[tuple[int, str]]:
    """Create sends ``"8888/http,22/tcp"``; edit sends ``[{port, type}]``. Both are accepted."""
    if isinstance(raw, str):
        items = [part.strip().split("/", 1) for part in raw.split(",") if part.strip()]
        ports = [_port(p[0], p[1] if len(p) > 1 else "tcp") for p in items]
    elif isinstance(raw, list):
        ports = [_port(p.get("port"), p.get("type")) for p in raw if isinstance(p, dict)]
    else:
        raise _bad("ports must be a comma list like '8888/http,22/tcp'")
    if len(ports) + tools > _MAX_PORTS_AND_TOOLS:
        raise _bad(f"ports plus tools may be at most {_MAX_PORTS_AND_TOOLS}")
    return ports


def _text(body: dict[str, Any], key: str, high: int, *, required: bool = False) -> str:
    value = body.get(key)
    text = "" if value is None else str(value)
    if (required and not text) or len(text) > high:
        raise _bad(f"{key} must be {'1' if required else '0'}-{high} characters")
    return text


def _choose_cluster(catalog: CatalogDomain, product: GpuProduct | CpuProduct, wanted: str, units: int) -> str:
    if wanted:
        catalog.cluster(wanted)
        if product.stock.get(wanted, 0) < units:
            raise SandboxError("gpu", "INSUFFICIENT_RESOURCE",
                               f"{product.name} x{units} is not available in cluster {wanted} right now")
        return wanted
    candidates = sorted((c for c, free in product.stock.items() if free >= units), key=lambda c: -product.stock[c])
    if not candidates:
        raise SandboxError("gpu", "INSUFFICIENT_RESOURCE", f"{product.name} x{units} is sold out in every cluster")
    return candidates[0]


def build_instance(state: SandboxState, catalog: CatalogDomain, body: dict[str, Any], now: float, *,
                   instance_id: str) -> Instance:
    kind = body.get("kind")
    if kind not in ("gpu", "cpu"):
        raise _bad("kind must be 'gpu' or 'cpu'")
    product_id = _text(body, "productId", 255, required=True)
    image = _text(body, "imageUrl", 500, required=True)
    month = int(body.get("month") or 0)
    mode = "monthly" if month > 0 else (body.get("billingMode") or "onDemand")
    if mode not in ("onDemand", "monthly", "spot"):
        raise _bad("billingMode must be onDemand, monthly or spot")
    if mode == "monthly" and month <= 0:
        month = 1
    product: GpuProduct | CpuProduct | None
    if kind == "gpu":
        product = catalog.gpu_products.get(product_id)
        if product is None:
            raise SandboxError("gpu", "RESOURCE_NOT_FOUND", f"GPU product {product_id!r} not found")
        units = int(body.get("gpuNum") or 0)
        if not 1 <= units <= min(8, product.max_gpus):
            raise _bad(f"gpuNum must be 1-{min(8, product.max_gpus)}")
        if mode not in product.billing_methods:
            raise SandboxError("gpu", "UNSUPPORTED_BILLING_MODE", f"{product.name} is not sold as {mode}")
        rootfs = max(10, int(body.get("rootfsSize") or 0))
        if rootfs > product.max_rootfs:
            raise _bad(f"rootfsSize may be at most {product.max_rootfs} GB for {product.name}")
        price = product.spot_price if mode == "spot" else product.price
        cpu, memory, max_rootfs = product.cpu_per_gpu * units, product.memory_per_gpu * units, product.max_rootfs
    else:
        product = catalog.cpu_products.get(product_id)
        if product is None:
            raise SandboxError("gpu", "RESOURCE_NOT_FOUND", f"CPU product {product_id!r} not found")
        if mode != "onDemand":
            raise SandboxError("gpu", "UNSUPPORTED_BILLING_MODE", "CPU instances are pay-as-you-go only")
        units, price, cpu, memory = 1, product.price, product.cpu_num, product.memory_size
        rootfs = max(product.rootfs_size, int(body.get("rootfsSize") or 0))
        max_rootfs = product.rootfs_size * 4
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
    ports = parse_port_list(body.get("ports") or "", len(tools))
    envs = body.get("envs") or []
    if not isinstance(envs, list) or len(envs) > 100:
        raise _bad("envs must be a list of at most 100 {key, value}")
    resources = state.domains.get("gpu_resources")
    mounts = [(str(m.get("Id", "")), str(m.get("mountPoint") or "/network"))
              for m in body.get("networkStorages") or [] if isinstance(m, dict)]
    wanted_cluster = _text(body, "clusterId", 255)
    if mounts and resources is not None and not wanted_cluster:
        wanted_cluster = resources.storage_cluster(mounts[0][0])
    cluster_id = _choose_cluster(catalog, product, wanted_cluster, units)
    if resources is not None:
        for sid, _ in mounts:
            resources.require_storage(sid, cluster_id)
    auth_id = _text(body, "imageAuthId", 255)
    if auth_id and resources is not None:
        resources.require_auth(auth_id)
    network_id = _text(body, "networkId", 255)
    network = state.domains.get("network")
    if network_id and network is not None and not network.exists(network_id):
        raise SandboxError("gpu", "NETWORK_NOT_FOUND", f"network {network_id!r} not found")
    octets = bytes.fromhex(instance_id[:4])
    return Instance(
        id=instance_id, name=_text(body, "name", 255), kind=kind, product_id=product.id, product_name=product.name,
        cluster_id=cluster_id, cluster_name=catalog.cluster(cluster_id).name, units=units, cpu_num=cpu,
        memory=memory, rootfs=rootfs, max_rootfs=max_rootfs, image_url=image, price=price, billing_mode=mode,
        created_at=now, ssh_password=secrets.token_urlsafe(12), ip=f"203.0.113.{octets[0] % 250 + 1}",
        image_auth_id=auth_id, command=_text(body, "command", 2047), entrypoint=_text(body, "entrypoint", 2047),
        ports=ports, envs=[{"key": str(e.get("key", "")), "value": str(e.get("value", ""))} for e in envs],
        tools=tools, network_storages=mounts, network_id=network_id,
        network_ip=f"10.0.{octets[0]}.{octets[1] % 250 + 2}" if network_id else "",
        local_mount=_text(body, "localStorageMountPoint", 255) or "/workspace",
        min_cuda=_text(body, "minCudaVersion", 20),
        end_time=now + month * MONTH_SECONDS if mode == "monthly" else -1,
        auto_renew=bool(body.get("autoRenew")) and mode == "monthly",
        auto_renew_month=int(body.get("autoRenewMonth") or 1),
    )


def monthly_charge(catalog: CatalogDomain, inst: Instance, months: int, trade_type: str) -> dict[str, Any]:
    """The fixed-term charge for ``months`` of a subscription (per-GPU tier price x months x GPUs).

    ``monthlyPrice[].price`` is read as the per-GPU price of one month at that term (our
    reading of "subscription unit price per duration"); a term not listed takes the tier
    of the longest listed term below it.
    """
    if months < 1 or months > 36:
        raise _bad("month must be 1-36")
    product = catalog.gpu_products.get(inst.product_id)
    unit = product.monthly_unit(months) if product is not None and "monthly" in product.billing_methods else None
    if unit is None:
        raise SandboxError("gpu", "UNSUPPORTED_BILLING_MODE", f"{inst.product_name} has no subscription price")
    unit_units = Decimal(unit) / 10  # 1/100000 USD -> 0.0001 USD
    return {"category": "gpu", "product_name": f"{inst.product_name} (monthly)",
            "amount_units": unit_units * months * inst.units, "owner_id": inst.id, "product_id": inst.product_id,
            "mode": "fixed", "trade_type": trade_type, "fixed_category": "gpu", "unit_price0": unit_units,
            "bill_num0": Decimal(months * inst.units)}


def seed_instances(catalog: CatalogDomain, now: float) -> list[Instance]:
    product = catalog.gpu_products["1"]
    common: dict[str, Any] = {
        "kind": "gpu", "product_id": product.id, "product_name": product.name, "cluster_id": "5",
        "cluster_name": catalog.cluster("5").name, "units": 1, "cpu_num": product.cpu_per_gpu,
        "memory": product.memory_per_gpu, "rootfs": 60, "max_rootfs": product.max_rootfs, "price": product.price,
    }
    exited = Instance(id="seedinst15", name="sd-webui", image_url="pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime",
                      billing_mode="", created_at=now - 15.1 * 86400, ssh_password="seed-" + secrets.token_hex(6),
                      ip="203.0.113.15", ports=[(8888, "http"), (22, "tcp")],
                      tools=[{"name": "Jupyter", "port": "8888", "type": "http"}], **common)
    exited.timeline = [(exited.created_at, "running"), (exited.created_at + 6 * 3600, "exited")]
    bought = now - 18 * 86400
    monthly = Instance(id="seedmonthly01", name="llm-serving", image_url="vllm/vllm-openai:latest",
                       billing_mode="monthly", created_at=bought, ssh_password="seed-" + secrets.token_hex(6),
                       ip="203.0.113.101", ports=[(8000, "http")], end_time=bought + MONTH_SECONDS, **common)
    monthly.timeline = [(bought, "running")]
    for inst in (exited, monthly):
        inst.settled_at = now  # history is already in the billing seed
    return [exited, monthly]
