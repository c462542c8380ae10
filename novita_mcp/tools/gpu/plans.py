"""Plans of the guarded GPU tools: what the user approves, priced from Novita's own product data.

Quotes (never from model-supplied numbers):

* pay-as-you-go create/start: product ``price`` (or ``spotPrice``) x GPUs, plus container
  disk above the free 60 GB, per hour - what the sandbox charges per second while the
  instance is pulling or running;
* subscription create/renew/convert: the ``monthlyPrice`` tier for the term x months x
  GPUs, charged at once (recurring "month");
* edit: the extra disk's hourly cost; network storage: size x $0.002/GB/day per month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from novita_mcp.client.gpu_models import Instance
from novita_mcp.client.gpu_resources import Template
from novita_mcp.pricing.gpu import (
    FREE_ROOTFS_GB,
    extra_rootfs_usd_per_hour,
    product_price_usd,
)
from novita_mcp.toolkit import Plan, Quote, Services, shown, usd
from novita_mcp.tools.gpu.common import (
    Billing,
    cpu_product,
    gpu_product,
    hourly_usd,
    instance_hourly_usd,
    label,
    parse_ports,
)

__all__ = [
    "CreateSpec",
    "fetch_instance",
    "plan_convert",
    "plan_create",
    "plan_delete",
    "plan_edit",
    "plan_migrate",
    "plan_renew",
    "plan_restart",
    "plan_start",
    "plan_stop",
    "plan_upgrade",
    "resolve_create",
    "subscription_quote",
]


@dataclass
class CreateSpec:
    """A create_instance call with the template filled in and the price looked up."""

    name: str
    kind: str
    product_id: str
    product_name: str
    gpus: int
    image_url: str
    rootfs_gb: int
    billing: Billing
    months: int
    quote: Quote
    ports: list[tuple[int, str]] = field(default_factory=list)
    envs: dict[str, str] = field(default_factory=dict)
    command: str = ""


async def _template(app: Services, template_id: str | None) -> Template | None:
    if not template_id:
        return None
    return await app.client.gpu.resources.get_template(template_id)


async def resolve_create(
    app: Services, *, name: str, product_id: str, kind: str = "gpu", gpus: int = 1, image_url: str | None = None,
    template_id: str | None = None, cluster_id: str | None = None, rootfs_gb: int | None = None,
    ports: list[str] | None = None, env: dict[str, str] | None = None, command: str | None = None,
    billing: Billing = "on_demand", months: int = 1, **_: Any,
) -> CreateSpec:
    """The create call with the template filled in and the price looked up (the plan's facts)."""
    if kind == "cpu" and billing != "on_demand":
        raise ToolError(f"billing={billing!r} is not offered for CPU instances; use 'on_demand'. Nothing was sent.")
    template = await _template(app, template_id)
    image = image_url or (template.image if template else "")
    if not image:
        raise ToolError("Give image_url (e.g. 'vllm/vllm-openai:latest') or a template_id from list_templates. "
                        "Nothing was sent.")
    parsed_ports = parse_ports(ports)
    if parsed_ports is None:
        parsed_ports = template.port_list() if template else []
    envs = {e.key: e.value for e in template.envs} if template else {}
    envs.update(env or {})
    command = command or (template.start_command if template else "")
    rootfs = int(rootfs_gb or (template.rootfs_size if template and template.rootfs_size else 0))
    cluster = cluster_id
    gpus = int(gpus or 1) if kind == "gpu" else 0
    if kind == "cpu":
        cpu = await cpu_product(app, product_id, cluster)
        rootfs = max(rootfs, cpu.rootfs_size)
        rate = hourly_usd(cpu.price, 1, rootfs)
        quote = Quote(rate, _basis(f"{usd(cpu.usd_per_hour)}/h ({cpu.name}, CPU only)", rootfs), "hour")
        product_name = cpu.name
    else:
        product = await gpu_product(app, product_id, billing, cluster)
        rootfs = rootfs or FREE_ROOTFS_GB
        if product.max_rootfs and rootfs > product.max_rootfs:
            raise ToolError(f"rootfs_gb={rootfs} is above the {product.max_rootfs} GB allowed for {product.name}. "
                            "Nothing was sent.")
        product_name = product.name
        if not product.available_deploy:
            where = f"cluster {cluster}" if cluster else "every cluster"
            raise ToolError(f"{product.name} is sold out in {where} right now; see list_gpu_products for what is in "
                            "stock. Nothing was sent.")
        if billing == "monthly":
            quote = subscription_quote(product.name, product.monthly_tier(months), months, gpus)
        else:
            price = product.spot_price if billing == "spot" else product.price
            per_gpu = usd(product_price_usd(price))
            quote = Quote(hourly_usd(price, gpus, rootfs),
                          _basis(f"{per_gpu} per GPU-hour x {gpus} GPU(s) ({product.name}, {billing})", rootfs), "hour")
    return CreateSpec(name=name or "", kind=kind, product_id=product_id,
                      product_name=product_name, gpus=gpus, image_url=image, rootfs_gb=rootfs, billing=billing,
                      months=months, quote=quote, ports=parsed_ports, envs=envs, command=command)


def _basis(text: str, rootfs: int) -> str:
    disk = extra_rootfs_usd_per_hour(rootfs)
    extra = f" + {usd(disk)}/h for {rootfs - FREE_ROOTFS_GB} GB of disk above the free {FREE_ROOTFS_GB} GB" if disk else ""
    return f"{text}{extra}; charged per second while pulling or running, until stopped"


def subscription_quote(product_name: str, tier: Any, months: int, gpus: int) -> Quote:
    if tier is None:
        raise ToolError(f"{product_name} has no subscription price for {months} month(s). Nothing was sent.")
    unit = product_price_usd(tier.price)
    total = unit * months * max(gpus, 1)
    return Quote(total, f"{usd(unit)} per GPU-month x {max(gpus, 1)} GPU(s) x {months} month(s) of {product_name}, "
                        "paid now for the whole term", "month")


async def plan_create(app: Services, *, name: str, product_id: str, kind: str = "gpu", gpus: int = 1,
                      image_url: str | None = None, template_id: str | None = None, cluster_id: str | None = None,
                      rootfs_gb: int | None = None, ports: list[str] | None = None, env: dict[str, str] | None = None,
                      command: str | None = None, billing: Billing = "on_demand", months: int = 1,
                      auto_renew: bool = False) -> Plan:
    spec = await resolve_create(app, name=name, product_id=product_id, kind=kind, gpus=gpus, image_url=image_url,
                                template_id=template_id, cluster_id=cluster_id, rootfs_gb=rootfs_gb, ports=ports,
                                env=env, command=command, billing=billing, months=months)
    where = f"cluster {shown(cluster_id)}" if cluster_id else "any cluster with stock"
    size = f"{spec.gpus}x {shown(spec.product_name)}" if spec.kind == "gpu" else shown(spec.product_name)
    details = [f"Image: {shown(spec.image_url)}", f"Disk: {spec.rootfs_gb} GB"]
    if spec.ports:
        details.append("Ports: " + ", ".join(f"{p}/{t}" for p, t in spec.ports))
    if billing == "monthly":
        details.append(f"Renews automatically every {months} month(s) at this price until turned off."
                       if auto_renew else "Does not renew automatically.")
    async def find() -> str | None:
        # An instance of that name means the create may well have happened: counting it is the safe error.
        named = [i.id for i in await app.client.gpu.all_instances() if i.name == spec.name]
        return named[-1] if named else None

    return Plan(action=f"Create a {spec.kind.upper()} instance ({spec.billing.replace('_', '-')})",
                target=f"new instance {shown(spec.name)}: {size} in {where}", quote=spec.quote, gpus=spec.gpus,
                details=tuple(details), facts=spec,
                check=f"list_instances() for an instance named {shown(spec.name)}", find=find)


async def fetch_instance(app: Services, instance_id: str) -> Instance:
    return await app.client.gpu.get_instance(instance_id)


def _target(inst: Instance) -> str:
    size = f"{inst.gpu_num}x {shown(inst.product_name)}" if inst.kind == "gpu" else shown(inst.product_name)
    return f"{label(inst)}: {size}, now {shown(inst.status)}"


def _check(inst: Instance) -> str:
    return f"get_instance(instance_id='{inst.id}')"


def _already(inst: Instance, status: str, what: str) -> None:
    if inst.status == status:
        raise ToolError(f"{label(inst)} is already {status}; nothing to {what}. Nothing was sent.")


async def plan_start(app: Services, instance_id: str) -> Plan:
    inst = await fetch_instance(app, instance_id)
    _already(inst, "running", "start")
    rate, basis = await instance_hourly_usd(app, inst)
    quote = Quote(rate, basis, "hour") if rate > 0 else Quote(Decimal(0), basis)
    return Plan(action="Start the instance", target=_target(inst), quote=quote, gpus=inst.gpu_num, facts=inst,
                check=_check(inst))


async def plan_stop(app: Services, instance_id: str) -> Plan:
    inst = await fetch_instance(app, instance_id)
    _already(inst, "exited", "stop")
    keep = f"{inst.keep_data_day} days" if inst.keep_data_day else "a limited time"
    return Plan(action="Stop the instance", target=_target(inst),
                irreversible=f"running processes end; the disk data is kept for {keep}", facts=inst,
                check=_check(inst), ends=inst.id)


async def plan_restart(app: Services, instance_id: str) -> Plan:
    inst = await fetch_instance(app, instance_id)
    return Plan(action="Restart the instance", target=_target(inst),
                irreversible="running processes are killed and the container restarts (disk data is kept)",
                facts=inst, check=_check(inst))


async def plan_delete(app: Services, instance_id: str) -> Plan:
    inst = await fetch_instance(app, instance_id)
    return Plan(action="Delete the instance", target=_target(inst),
                irreversible="the instance and everything on its system disk and local volume are deleted for good "
                             "(network storage is kept)", facts=inst, check=_check(inst), ends=inst.id)


async def plan_migrate(app: Services, instance_id: str) -> Plan:
    inst = await fetch_instance(app, instance_id)
    return Plan(action="Migrate the instance to another cluster", target=_target(inst),
                irreversible="data on the system disk and local volume is NOT preserved - only network storage "
                             "survives; the instance gets a new address", facts=inst, check=_check(inst))


async def plan_upgrade(app: Services, instance_id: str, image_url: str, keep_data: bool) -> Plan:
    inst = await fetch_instance(app, instance_id)
    if keep_data:
        loss = "the container is re-created from the new image; processes end, disk data is kept"
    else:
        loss = "the system disk is wiped: all data outside network storage is lost"
    return Plan(action="Re-image (upgrade) the instance", target=_target(inst), irreversible=loss,
                details=(f"New image: {shown(image_url)}", f"Data kept: {'yes' if keep_data else 'NO'}"),
                facts=inst, check=_check(inst))


async def plan_edit(app: Services, instance_id: str, ports: list[str] | None = None, expand_disk_gb: int = 0) -> Plan:
    grow = int(expand_disk_gb or 0)
    if ports is None and not grow:
        raise ToolError("Nothing to change: give ports and/or expand_disk_gb. Nothing was sent.")
    new_ports = parse_ports(ports)
    inst = await fetch_instance(app, instance_id)
    details = [f"Disk: {inst.rootfs_size} GB -> {inst.rootfs_size + grow} GB"] if grow else []
    final: list[str] = []
    if grow:
        final.append(f"the disk grows by {grow} GB and can never be shrunk again")
    if new_ports is not None:
        details.append("Ports become: " + (", ".join(f"{p}/{t}" for p, t in new_ports) or "none"))
        removed = sorted({f"{p.port}/{p.type}" for p in inst.port_mappings} - {f"{p}/{t}" for p, t in new_ports})
        if removed:
            final.append("these exposed ports are removed and their addresses stop working: " + ", ".join(removed))
    added = Decimal(0)
    if grow and inst.billing != "monthly":
        added = extra_rootfs_usd_per_hour(inst.rootfs_size + grow) - extra_rootfs_usd_per_hour(inst.rootfs_size)
    if grow and inst.billing == "monthly":
        details.append("A subscription's price does not change, but the larger disk stays for good.")
    quote = (Quote(added, f"{grow} GB more disk at $0.005/GB/day above the free {FREE_ROOTFS_GB} GB, while running",
                   "hour") if added > 0 else Quote(Decimal(0), "no change in price"))
    return Plan(action="Edit the instance (ports / disk)", target=_target(inst), quote=quote, details=tuple(details),
                irreversible="; ".join(final) or None, facts=inst, check=_check(inst))


async def _monthly_tier_quote(app: Services, inst: Instance, months: int) -> Quote:
    if inst.kind != "gpu":
        raise ToolError(f"{label(inst)} is a CPU instance; CPU instances have no subscription. Nothing was sent.")
    product = await gpu_product(app, inst.product_id, "monthly")
    return subscription_quote(product.name, product.monthly_tier(months), months, inst.gpu_num)


async def plan_renew(app: Services, instance_id: str, months: int) -> Plan:
    inst = await fetch_instance(app, instance_id)
    if inst.billing != "monthly":
        raise ToolError(f"{label(inst)} is billed {inst.billing}, not a subscription; use "
                        "convert_instance_to_monthly instead. Nothing was sent.")
    quote = await _monthly_tier_quote(app, inst, months)
    return Plan(action=f"Renew the subscription for {months} month(s)", target=_target(inst), quote=quote,
                gpus=inst.gpu_num, facts=inst, check=f"{_check(inst)} (its subscription end date) and list_bills")


async def plan_convert(app: Services, instance_id: str, months: int) -> Plan:
    inst = await fetch_instance(app, instance_id)
    if inst.billing == "monthly":
        raise ToolError(f"{label(inst)} is already a subscription; use renew_instance. Nothing was sent.")
    quote = await _monthly_tier_quote(app, inst, months)
    return Plan(action=f"Convert to a {months}-month subscription", target=_target(inst), quote=quote,
                gpus=inst.gpu_num, irreversible="a subscription cannot be released (deleted) before it ends",
                facts=inst, check=f"{_check(inst)} (its billing mode) and list_bills", ends=inst.id)
