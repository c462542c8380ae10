"""Watching instances: a bounded wait for a status, and what is spending money right now."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from novita_mcp.client.errors import NotFoundError, NovitaError
from novita_mcp.client.gpu_models import Instance
from novita_mcp.pricing.gpu import network_storage_usd_per_month
from novita_mcp.toolkit import Context, Effect, Reply, Services, services, tool, usd
from novita_mcp.tools._common import DAY, iso
from novita_mcp.tools._polling import wait_until
from novita_mcp.tools.gpu.common import (
    ACTIVE_STATUSES,
    BILLED_STATUSES,
    InstanceId,
    instance_hourly_usd,
)

__all__ = ["get_spend_now", "wait_for_instance"]

log = logging.getLogger("novita_mcp.tools.gpu")


Target = Literal["running", "exited", "removed"]
# Statuses from which the instance gets to the target by itself.
_ON_THE_WAY: dict[str, frozenset[str]] = {
    "running": frozenset({"toCreate", "creating", "pulling", "toStart", "starting", "toRestart", "restarting",
                          "toReset", "resetting", "migrating", "pending"}),
    "exited": frozenset({"toStop", "stopping", "freezing"}),
    "removed": frozenset({"toRemove", "removing"}),
}


class WaitResult(BaseModel):
    instance_id: str
    status: str
    target: Target
    reached: bool
    waited_seconds: float
    next_step: str


@tool(title="Wait for an instance status", effects={Effect.READ})
async def wait_for_instance(
    ctx: Context,
    instance_id: InstanceId,
    target: Annotated[Target, Field(description="exited after stop, removed after delete.")] = "running",
    max_wait_seconds: Annotated[int, Field(ge=0, le=50, description="0 checks once.")] = 40,
) -> Reply[WaitResult]:
    """Wait until an instance reaches a status; if not yet (reached=false), call again."""
    app = services(ctx)
    started = app.guard.clock()

    async def fetch() -> str:
        try:
            return (await app.client.gpu.get_instance(instance_id)).status
        except NotFoundError:
            if target != "removed":
                raise
            return "removed"

    status, _ = await wait_until(
        ctx, fetch=fetch, done=lambda s: s == target or s not in _ON_THE_WAY[target],
        describe=lambda s: f"{instance_id} is {s} (waiting for {target})", max_wait=max_wait_seconds)
    waited = round(max(0.0, app.guard.clock() - started), 1)
    if status == target:
        result = WaitResult(instance_id=instance_id, status=status, target=target, reached=True,
                            waited_seconds=waited, next_step=_after(target, instance_id))
        return Reply(result, f"{instance_id} is {status}.")
    if status not in _ON_THE_WAY[target]:
        step = f"It will not become {target} by itself; check get_instance and act on its current status."
        result = WaitResult(instance_id=instance_id, status=status, target=target, reached=False,
                            waited_seconds=waited, next_step=step)
        return Reply(result, f"{instance_id} is {status}, not on its way to {target}. {step}")
    step = f"Still {status} - call wait_for_instance again with instance_id={instance_id}."
    result = WaitResult(instance_id=instance_id, status=status, target=target, reached=False,
                        waited_seconds=waited, next_step=step)
    return Reply(result, step)


def _after(target: str, instance_id: str) -> str:
    if target == "running":
        return (f"Use get_instance({instance_id}) for its URLs and SSH; it is billed while running - "
                "stop_instance when done.")
    if target == "exited":
        return "Compute billing stopped; delete_instance when the data is no longer needed."
    return "The instance is gone."


class BurningInstance(BaseModel):
    instance_id: str
    name: str
    status: str
    product: str
    gpus: int
    billing: str
    billing_now: bool = Field(description="True while pulling/running (charged per second).")
    usd_per_hour: Decimal
    cost_last_31_days_usd: Decimal | None = Field(description="What it was charged in the last 31 days.")


class Subscription(BaseModel):
    instance_id: str
    name: str
    status: str
    product: str
    ends: str


class StorageCost(BaseModel):
    storage_id: str
    name: str
    size_gb: int
    usd_per_month: Decimal


class SpendNow(BaseModel):
    usd_per_hour_now: Decimal = Field(description="Sum of usd_per_hour over instances billing now.")
    instances: list[BurningInstance]
    subscriptions: list[Subscription] = Field(description="Prepaid monthly instances (no hourly charge).")
    network_storage: list[StorageCost]
    storage_usd_per_month: Decimal
    note: str


@tool(title="What is spending money now", effects={Effect.READ})
async def get_spend_now(ctx: Context) -> Reply[SpendNow]:
    """What costs money now: running instances (per hour, so far), subscriptions, storage.

    Check it before ending a session, so nothing is left running.
    """
    app = services(ctx)
    client = app.client.gpu
    instances = [i for i in await client.all_instances() if i.status in ACTIVE_STATUSES | {"toStop", "stopping"}]
    costs, note = await _recent_costs(app)
    burning: list[BurningInstance] = []
    subs: list[Subscription] = []
    for inst in instances:
        if inst.billing == "monthly":
            end = inst.subscription_ends
            subs.append(Subscription(instance_id=inst.id, name=inst.name, status=inst.status,
                                     product=inst.product_name, ends=iso(end) if end else ""))
            continue
        rate, _ = await instance_hourly_usd(app, inst)
        burning.append(_burning(inst, rate, costs))
    storages = (await client.resources.list_storages(page_size=100)).data
    storage = [StorageCost(storage_id=s.storage_id, name=s.storage_name, size_gb=s.storage_size,
                           usd_per_month=network_storage_usd_per_month(s.storage_size)) for s in storages]
    per_hour = sum((b.usd_per_hour for b in burning if b.billing_now), Decimal(0))
    per_month = sum((s.usd_per_month for s in storage), Decimal(0))
    data = SpendNow(usd_per_hour_now=per_hour, instances=burning, subscriptions=subs, network_storage=storage,
                    storage_usd_per_month=per_month, note=note)
    lines = [f"Burning {usd(per_hour)}/hour on {sum(b.billing_now for b in burning)} instance(s) now."]
    lines += [f"- {b.instance_id} '{b.name}' {b.status}: {usd(b.usd_per_hour)}/h"
              + (f", {usd(b.cost_last_31_days_usd)} so far" if b.cost_last_31_days_usd is not None else "")
              for b in burning]
    lines += [f"- subscription {s.instance_id} '{s.name}' ({s.status}) until {s.ends[:10]}" for s in subs]
    if storage:
        lines.append(f"Network storage: {len(storage)} volume(s), {usd(per_month)}/month.")
    if not burning and not subs and not storage:
        lines = ["Nothing is spending money on GPU instances or storage right now."]
    return Reply(data, "\n".join(lines))


def _burning(inst: Instance, rate: Decimal, costs: dict[str, Decimal] | None) -> BurningInstance:
    return BurningInstance(instance_id=inst.id, name=inst.name, status=inst.status, product=inst.product_name,
                           gpus=inst.gpu_num, billing=inst.billing, billing_now=inst.status in BILLED_STATUSES,
                           usd_per_hour=rate,
                           cost_last_31_days_usd=None if costs is None else costs.get(inst.id, Decimal(0)))


async def _recent_costs(app: Services) -> tuple[dict[str, Decimal] | None, str]:
    """GPU charges of the last 31 days (the bill API's longest window), by instance id."""
    now = int(app.guard.clock())
    try:
        bills = await app.client.account.usage_bills(
            cycle_type="Month", product_category="gpu", start_time=now - 31 * DAY, end_time=now + 1)
    except NovitaError as exc:
        log.warning("spend view: bills unavailable: %s", exc)
        return None, "Costs so far are unavailable right now (the bill list failed); hourly rates are current."
    costs: dict[str, Decimal] = {}
    for bill in bills:
        if bill.owner_id:
            costs[bill.owner_id] = costs.get(bill.owner_id, Decimal(0)) + bill.amount
    return costs, "Costs so far come from the usage bills (last 31 days); hourly rates from the product prices."
