"""Guarded tools of the ``gpu`` toolset: create and run instances through their lifecycle.

Billable calls (create, start, renew, convert, edit that grows the disk) are confirmed with
a server-computed quote; destructive calls (stop, restart, delete, migrate, upgrade) name
the exact instance - id and name - and say what is lost. See ``gpu_plans`` for the quotes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from novita_mcp import ids
from novita_mcp.client.errors import NovitaError
from novita_mcp.client.gpu_models import Instance
from novita_mcp.toolkit import Context, Effect, Reply, Run, Services, services, tool, usd
from novita_mcp.tools._common import iso
from novita_mcp.tools.gpu.common import (
    BILLING_WIRE,
    Billing,
    InstanceId,
    Months,
    PortSpec,
    label,
    parse_ports,
)
from novita_mcp.tools.gpu.plans import (
    CreateSpec,
    plan_convert,
    plan_create,
    plan_delete,
    plan_edit,
    plan_migrate,
    plan_renew,
    plan_restart,
    plan_start,
    plan_stop,
    plan_upgrade,
)

__all__ = [
    "convert_instance_to_monthly",
    "create_instance",
    "delete_instance",
    "edit_instance",
    "migrate_instance",
    "renew_instance",
    "restart_instance",
    "start_instance",
    "stop_instance",
    "upgrade_instance",
]

OptionalId = ids.GpuResourceId | None


class CreatedInstance(BaseModel):
    instance_id: str
    name: str
    kind: str
    product: str
    gpus: int
    status: str
    billing: Billing
    quoted_usd: Decimal = Field(description="Per hour (pay as you go) or paid now (subscription).")
    next_step: str


@tool(title="Create a GPU or CPU instance", effects={Effect.BILLABLE}, plan=plan_create)
async def create_instance(
    ctx: Context,
    name: Annotated[str, Field(min_length=1, max_length=255)],
    product_id: Annotated[ids.ProductId, Field(description="From list_gpu_products or list_cpu_products.")],
    kind: Literal["gpu", "cpu"] = "gpu",
    gpus: Annotated[int, Field(ge=1, le=8)] = 1,
    image_url: Annotated[str | None, Field(min_length=1, max_length=500)] = None,
    template_id: Annotated[OptionalId, Field(description="From list_templates.")] = None,
    cluster_id: Annotated[OptionalId, Field(description="Default: any with stock.")] = None,
    rootfs_gb: Annotated[int | None, Field(ge=10, le=6144, description="60 free, then $0.005/GB/day.")] = None,
    ports: Annotated[list[PortSpec] | None, Field(max_length=15)] = None,
    env: Annotated[dict[str, Annotated[str, Field(max_length=4095)]] | None, Field(max_length=100)] = None,
    command: Annotated[str | None, Field(max_length=2047)] = None,
    jupyter: Annotated[bool, Field(description="Jupyter on port 8888.")] = False,
    billing: Annotated[Billing, Field(description="spot is cheaper but can be reclaimed.")] = "on_demand",
    months: Annotated[int, Field(ge=1, le=36, description="monthly only.")] = 1,
    auto_renew: Annotated[bool, Field(description="monthly only.")] = False,
    network_storage_ids: Annotated[list[ids.GpuResourceId] | None, Field(max_length=30)] = None,
    network_id: OptionalId = None,
    registry_auth_id: Annotated[OptionalId, Field(description="For a private image.")] = None,
    *,
    run: Run,
) -> Reply[CreatedInstance]:
    """Create a GPU (or CPU) instance from an image or a template; billed from image pull on.

    Then wait_for_instance; stop_instance when done.
    """
    app = services(ctx)
    spec: CreateSpec = run.plan.facts
    mounts = [(sid, "/network" if i == 0 else f"/network{i}") for i, sid in enumerate(network_storage_ids or [])]
    instance_id = await app.client.gpu.create_instance(
        product_id=product_id, image_url=spec.image_url, kind=kind, name=name, gpu_num=spec.gpus or None,
        rootfs_size=spec.rootfs_gb, cluster_id=cluster_id, ports=spec.ports, envs=spec.envs,
        command=spec.command or None, image_auth_id=registry_auth_id, jupyter_port=8888 if jupyter else None,
        network_storages=mounts, network_id=network_id, billing_mode=BILLING_WIRE[billing],
        month=months if billing == "monthly" else None, auto_renew=auto_renew if billing == "monthly" else None)
    paid_now = spec.quote.amount_usd if billing == "monthly" else None
    run.done(resource_id=instance_id, charged_usd=paid_now)
    status = await _status(app, instance_id)
    data = CreatedInstance(instance_id=instance_id, name=name, kind=kind, product=spec.product_name, gpus=spec.gpus,
                           status=status, billing=billing, quoted_usd=spec.quote.amount_usd,
                           next_step=f"Call wait_for_instance(instance_id='{instance_id}') until it is running.")
    cost = (f"{usd(spec.quote.amount_usd)} paid for {months} month(s)" if paid_now is not None
            else f"{usd(spec.quote.amount_usd)}/hour while running")
    return Reply(data, f"Created instance {instance_id} '{name}' ({status}); {cost}. {data.next_step}",
                 charged_usd=paid_now, resource_id=instance_id)


class LifecycleResult(BaseModel):
    instance_id: str
    name: str
    action: str
    status: str = Field(description="Status right after the call; transitions take seconds to minutes.")
    next_step: str


async def _status(app: Services, instance_id: str) -> str:
    try:
        return (await app.client.gpu.get_instance(instance_id)).status
    except NovitaError:
        return "unknown"


async def _lifecycle(ctx: Context, run: Run, action: str, act: Callable[[str], Awaitable[None]],
                     wait_for: str | None) -> Reply[LifecycleResult]:
    """One lifecycle request on the instance the plan read; its status is read once afterwards."""
    app = services(ctx)
    inst: Instance = run.plan.facts
    await act(inst.id)
    run.done(resource_id=inst.id)
    status = await _status(app, inst.id)
    step = (f"Call wait_for_instance(instance_id='{inst.id}', target='{wait_for}')." if wait_for
            else "No further step needed.")
    data = LifecycleResult(instance_id=inst.id, name=inst.name, action=action, status=status, next_step=step)
    return Reply(data, f"{action}: {label(inst)} is now {status}. {step}", resource_id=inst.id)


@tool(title="Start an instance", effects={Effect.BILLABLE}, plan=plan_start)
async def start_instance(ctx: Context, instance_id: InstanceId, *, run: Run) -> Reply[LifecycleResult]:
    """Start a stopped instance; per-second billing resumes."""
    return await _lifecycle(ctx, run, "Start requested", services(ctx).client.gpu.start, "running")


@tool(title="Stop an instance", effects={Effect.DESTRUCTIVE}, plan=plan_stop)
async def stop_instance(ctx: Context, instance_id: InstanceId, *, run: Run) -> Reply[LifecycleResult]:
    """Stop a running instance: compute billing stops; the disk is kept for a while."""
    return await _lifecycle(ctx, run, "Stop requested", services(ctx).client.gpu.stop, "exited")


@tool(title="Restart an instance", effects={Effect.DESTRUCTIVE}, plan=plan_restart)
async def restart_instance(ctx: Context, instance_id: InstanceId, *, run: Run) -> Reply[LifecycleResult]:
    """Restart an instance's container (processes are killed)."""
    return await _lifecycle(ctx, run, "Restart requested", services(ctx).client.gpu.restart, "running")


@tool(title="Delete an instance", effects={Effect.DESTRUCTIVE}, plan=plan_delete)
async def delete_instance(ctx: Context, instance_id: InstanceId, *, run: Run) -> Reply[LifecycleResult]:
    """Delete an instance and its data for good (a subscription only after its term)."""
    return await _lifecycle(ctx, run, "Delete requested", services(ctx).client.gpu.delete, "removed")


@tool(title="Migrate an instance", effects={Effect.DESTRUCTIVE}, plan=plan_migrate)
async def migrate_instance(ctx: Context, instance_id: InstanceId, *, run: Run) -> Reply[LifecycleResult]:
    """Move an instance to another cluster; its disk data is NOT kept."""
    return await _lifecycle(ctx, run, "Migration requested", services(ctx).client.gpu.migrate, "running")


@tool(title="Re-image an instance", effects={Effect.DESTRUCTIVE}, plan=plan_upgrade)
async def upgrade_instance(
    ctx: Context,
    instance_id: InstanceId,
    image_url: Annotated[str, Field(min_length=1, max_length=500)],
    keep_data: Annotated[bool, Field(description="false wipes the system disk.")],
    env: Annotated[dict[str, Annotated[str, Field(max_length=4095)]] | None,
                   Field(max_length=100, description="Omitted: keep.")] = None,
    command: Annotated[str | None, Field(max_length=2047, description="Omitted: keep.")] = None,
    *,
    run: Run,
) -> Reply[LifecycleResult]:
    """Replace an instance's image (Novita's upgrade)."""
    app = services(ctx)
    inst: Instance = run.plan.facts
    mounts = [(v.id, v.mount_path) for v in inst.volume_mounts if v.type == "network"]
    await app.client.gpu.upgrade(
        instance_id, image_url=image_url, save=keep_data, image_auth_id=inst.image_auth_id or None,
        envs=env if env is not None else {e.key: e.value for e in inst.envs},
        command=command if command is not None else inst.command, network_storages=mounts)
    run.done(resource_id=instance_id)
    status = await _status(app, instance_id)
    step = f"Call wait_for_instance(instance_id='{instance_id}', target='running')."
    data = LifecycleResult(instance_id=instance_id, name=inst.name, action="Re-image requested", status=status,
                           next_step=step)
    kept = "data kept" if keep_data else "system disk wiped"
    return Reply(data, f"Re-imaging {label(inst)} to {image_url} ({kept}); now {status}. {step}",
                 resource_id=instance_id)


@tool(title="Edit ports or grow the disk", effects={Effect.BILLABLE}, plan=plan_edit)
async def edit_instance(
    ctx: Context,
    instance_id: InstanceId,
    ports: Annotated[list[PortSpec] | None, Field(max_length=15, description="Replaces the old list.")] = None,
    expand_disk_gb: Annotated[int, Field(ge=0, le=6144, description="GB to add to the system disk.")] = 0,
    *,
    run: Run,
) -> Reply[LifecycleResult]:
    """Change an instance's ports and/or grow its disk (above 60 GB: $0.005/GB/day; cannot shrink)."""
    app = services(ctx)
    inst: Instance = run.plan.facts
    await app.client.gpu.edit(instance_id, ports=parse_ports(ports), expand_root_disk=expand_disk_gb or None)
    run.done(resource_id=instance_id)
    data = LifecycleResult(instance_id=instance_id, name=inst.name, action="Edited", status=await _status(app, instance_id),
                           next_step="Use get_instance to see the new ports and disk.")
    return Reply(data, f"Edited {label(inst)}: disk {inst.rootfs_size + expand_disk_gb} GB"
                       + (f", ports {', '.join(ports)}" if ports is not None else "") + ".", resource_id=instance_id)


class SubscriptionResult(BaseModel):
    instance_id: str
    name: str
    months: int
    paid_usd: Decimal
    subscription_ends: str


async def _subscribe(ctx: Context, run: Run, months: int, act: Callable[[str, int], Awaitable[None]],
                     what: str) -> Reply[SubscriptionResult]:
    app = services(ctx)
    inst: Instance = run.plan.facts
    paid = run.plan.amount_usd
    await act(inst.id, months)
    # Paid now: recorded before the read below, which may fail without making the payment vanish.
    run.done(resource_id=inst.id, charged_usd=paid)
    ends = (await app.client.gpu.get_instance(inst.id)).subscription_ends
    data = SubscriptionResult(instance_id=inst.id, name=inst.name, months=months, paid_usd=paid,
                              subscription_ends=iso(ends) if ends else "")
    return Reply(data, f"{what} {label(inst)} for {months} month(s): paid {usd(paid)}; "
                       f"runs until {data.subscription_ends[:10]}.", charged_usd=paid, resource_id=inst.id)


@tool(title="Renew a subscription instance", effects={Effect.BILLABLE}, plan=plan_renew)
async def renew_instance(ctx: Context, instance_id: InstanceId, months: Months, *, run: Run) -> Reply[SubscriptionResult]:
    """Extend a monthly instance's subscription; paid now."""
    return await _subscribe(ctx, run, months, services(ctx).client.gpu.renew, "Renewed")


@tool(title="Convert to a monthly subscription", effects={Effect.BILLABLE}, plan=plan_convert)
async def convert_instance_to_monthly(ctx: Context, instance_id: InstanceId, months: Months, *,
                                      run: Run) -> Reply[SubscriptionResult]:
    """Make a pay-as-you-go instance a prepaid subscription; paid now, kept until the term ends."""
    return await _subscribe(ctx, run, months, services(ctx).client.gpu.convert_to_monthly, "Converted")
