"""One sandbox instance: its status timeline, which operations each status allows, what it owes.

Status is never stored as a single value: every operation appends timed steps to a
timeline (``toStop`` now, ``stopping`` 2 s later, ``exited`` 10 s later) and the status at
any moment is read from it. So advancing the clock moves instances along with no
background task, and billing can integrate exactly over the billed statuses.

Choices where the gpu-instance-* pages leave room (inferred; kept here, in one place):

* step timings below (seconds after the operation);
* only ``pulling`` and ``running`` are billed (the GPU pricing guide: "billing from pulling until stopped");
* an operation not allowed in the current status fails with 400 ``OPERATION_LIMIT``;
  ``DEPENDENT_RESOURCE_STATE`` is kept for a dependent resource (network storage, VPC)
  that is in the wrong place or state;
* removed instances vanish: list skips them and get answers ``RESOURCE_NOT_FOUND``;
* a subscription instance cannot be deleted before it expires
  (``PREPAID_INSTANCE_NOT_SUPPORT_RELEASE``); when it expires it is renewed (autoRenew)
  or stopped;
* with the balance at or below zero, on-demand/spot instances are frozen (``freezing``
  then ``exited``).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any

from novita_mcp.pricing.gpu import FREE_ROOTFS_GB, ROOTFS_USD_PER_GB_DAY

__all__ = ["ALLOWED", "BILLED", "GONE", "STEPS", "Instance", "op_allowed"]

STEPS: dict[str, tuple[tuple[str, float], ...]] = {
    "create": (("toCreate", 0), ("creating", 2), ("pulling", 10), ("running", 40)),
    "stop": (("toStop", 0), ("stopping", 2), ("exited", 10)),
    "start": (("toStart", 0), ("starting", 2), ("running", 20)),
    "restart": (("toRestart", 0), ("restarting", 2), ("running", 20)),
    "delete": (("toRemove", 0), ("removing", 2), ("removed", 10)),
    "upgrade": (("toReset", 0), ("resetting", 2), ("running", 30)),
    "migrate": (("migrating", 0), ("running", 60)),
    "freeze": (("freezing", 0), ("exited", 10)),
}

# Which statuses each operation may start from.
ALLOWED: dict[str, frozenset[str]] = {
    "start": frozenset({"exited"}),
    "stop": frozenset({"running", "pulling"}),
    "restart": frozenset({"running"}),
    "delete": frozenset({"toCreate", "creating", "pulling", "running", "exited"}),
    "edit": frozenset({"running", "exited"}),
    "upgrade": frozenset({"running", "exited"}),
    "migrate": frozenset({"running", "exited"}),
    "renew": frozenset({"running", "exited", "toStart", "starting", "toStop", "stopping", "toRestart", "restarting"}),
    "monthly": frozenset({"running", "exited"}),
}

BILLED = frozenset({"pulling", "running"})
GONE = "removed"
_NOT_ALLOWED_MESSAGE = "instance {id} is {status}; {op} is possible only when it is {allowed}"


def op_allowed(op: str, status: str) -> bool:
    return status in ALLOWED[op]


@dataclass
class Instance:
    id: str
    name: str
    kind: str  # gpu | cpu
    product_id: str
    product_name: str
    cluster_id: str
    cluster_name: str
    units: int  # GPUs (gpu) or 1 (cpu): what the hourly price is multiplied by
    cpu_num: int
    memory: int
    rootfs: int
    max_rootfs: int
    image_url: str
    price: int  # 1/100000 USD per unit-hour for the billing mode chosen at create
    billing_mode: str  # onDemand | monthly | spot; "" (seen live) means onDemand
    created_at: float
    ssh_password: str
    ip: str
    image_auth_id: str = ""
    command: str = ""
    entrypoint: str = ""
    ports: list[tuple[int, str]] = field(default_factory=list)
    envs: list[dict[str, str]] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    network_storages: list[tuple[str, str]] = field(default_factory=list)  # (storage id, mount path)
    network_id: str = ""
    network_ip: str = ""
    local_mount: str = "/workspace"
    min_cuda: str = ""
    end_time: float = -1  # subscription expiry; -1 for pay as you go
    auto_renew: bool = False
    auto_renew_month: int = 1
    timeline: list[tuple[float, str]] = field(default_factory=list)
    settled_at: float = 0.0
    unit_seconds: Decimal = Decimal(0)  # GPU-seconds (or instance-seconds) billed so far
    charged_units: Decimal = Decimal(0)  # 0.0001 USD taken for compute so far
    disk_gb_seconds: Decimal = Decimal(0)  # extra root disk GB x seconds billed so far
    disk_charged_units: Decimal = Decimal(0)

    # --- status -------------------------------------------------------------------------
    def status_at(self, when: float) -> str:
        times = [t for t, _ in self.timeline]
        index = bisect.bisect_right(times, when) - 1
        return self.timeline[max(index, 0)][1]

    def schedule(self, op: str, now: float) -> None:
        """Start ``op`` at ``now``: drop whatever was still to come, then append its steps."""
        self.timeline = [(t, s) for t, s in self.timeline if t <= now]
        self.timeline.extend((now + delay, status) for status, delay in STEPS[op])

    def removed_at(self, when: float) -> bool:
        return self.status_at(when) == GONE

    def not_allowed(self, op: str, when: float) -> str | None:
        status = self.status_at(when)
        if op_allowed(op, status):
            return None
        allowed = " or ".join(sorted(ALLOWED[op]))
        return _NOT_ALLOWED_MESSAGE.format(id=self.id, status=status, op=op, allowed=allowed)

    # --- billing ------------------------------------------------------------------------
    @property
    def pay_as_you_go(self) -> bool:
        return self.billing_mode != "monthly"

    def billed_seconds(self, start: float, end: float) -> Decimal:
        """Seconds within (start, end] spent in a billed status."""
        if end <= start:
            return Decimal(0)
        total = Decimal(0)
        bounds = [*self.timeline, (float("inf"), "")]
        for (t0, status), (t1, _) in pairwise(bounds):
            if status in BILLED:
                lo, hi = max(t0, start), min(t1, end)
                if hi > lo:
                    total += Decimal(str(hi)) - Decimal(str(lo))
        return total

    def accrue(self, now: float) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """Advance the meters to ``now``: (compute units, unit-seconds, disk units, disk GB-seconds) now owed.

        Amounts are computed from the running totals, so however often this is called, the
        sum of what it returns equals the exact cost of the whole period.
        """
        seconds = self.billed_seconds(self.settled_at, now) if self.pay_as_you_go else Decimal(0)
        self.settled_at = max(self.settled_at, now)
        if seconds <= 0:
            return Decimal(0), Decimal(0), Decimal(0), Decimal(0)
        unit_seconds = seconds * self.units
        self.unit_seconds += unit_seconds
        # price is 1/100000 USD per hour; balance units are 1/10000 USD: units = s * price / 3600 / 10
        total = self.unit_seconds * self.price / Decimal(36_000)
        compute, self.charged_units = total - self.charged_units, total
        gb_seconds = seconds * max(0, self.rootfs - FREE_ROOTFS_GB)
        self.disk_gb_seconds += gb_seconds
        disk_total = self.disk_gb_seconds * ROOTFS_USD_PER_GB_DAY * 10_000 / Decimal(86_400)
        disk, self.disk_charged_units = disk_total - self.disk_charged_units, disk_total
        return compute, unit_seconds, disk, gb_seconds
