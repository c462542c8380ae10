"""The account's run-rate, read from Novita: what is running now and what it costs per hour.

Read only when an hourly cap is set and the call would add an hourly charge, so the cap
covers resources started outside this server too (the console, another agent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from novita_mcp.guard.plan import shown, shown_id
from novita_mcp.guard.policy import Burner
from novita_mcp.pricing.gpu import ACTIVE_STATUSES, hourly_usd

if TYPE_CHECKING:
    from novita_mcp.client import NovitaClient

__all__ = ["running_burners"]

async def running_burners(client: NovitaClient) -> tuple[Burner, ...]:
    instances = [i for i in await client.gpu.all_instances()
                 if i.status in ACTIVE_STATUSES and i.billing != "monthly"]
    if not instances:
        return ()
    gpu_prices: dict[tuple[str, str], int] = {}
    if any(i.kind != "cpu" for i in instances):
        for billing in ("onDemand", "spot"):
            for p in await client.gpu.products(billing_method=billing):
                gpu_prices[(billing, p.id)] = p.spot_price if billing == "spot" else p.price
    cpu_prices = ({p.id: p.price for p in await client.gpu.cpu_products()}
                  if any(i.kind == "cpu" for i in instances) else {})
    burners = []
    for inst in instances:
        if inst.kind == "cpu":
            price, units = cpu_prices.get(inst.product_id, 0), 1
        else:
            billing = "spot" if inst.billing == "spot" else "onDemand"
            # As the plans price it: a GPU instance has at least one GPU, whatever the count says.
            price, units = gpu_prices.get((billing, inst.product_id), 0), max(inst.gpu_num, 1)
        rate = hourly_usd(price, units, inst.rootfs_size)
        burners.append(Burner(inst.id, f"instance {shown_id(inst.id)} {shown(inst.name)}", rate))
    return tuple(burners)
