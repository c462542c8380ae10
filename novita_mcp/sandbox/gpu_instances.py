"""GPU and CPU instances: create, list, get, the lifecycle calls, metrics, and their billing.

Paths, bodies and quirks follow Novita's gpu-instance-* pages (docs/coverage.md); the status machine and its
choices are described in ``gpu_lifecycle``. Money (the GPU pricing guide): pay-as-you-go instances are
charged per second of ``pulling``/``running`` in ``settle(now)`` (category "gpu",
owner = instance id, billNum0 = GPU-seconds); a subscription is charged up front as a
fixed-term bill. An on-demand create needs a balance that covers one hour.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from novita_mcp.sandbox.errors import SandboxError, json_object
from novita_mcp.sandbox.gpu_catalog import GPU_BASE, CatalogDomain
from novita_mcp.sandbox.gpu_create import (
    build_instance,
    monthly_charge,
    parse_port_list,
    seed_instances,
)
from novita_mcp.sandbox.gpu_lifecycle import Instance
from novita_mcp.sandbox.gpu_render import instance_json, metrics_json
from novita_mcp.sandbox.state import SandboxState

__all__ = ["MAX_LIVE_INSTANCES", "InstancesDomain"]

MAX_LIVE_INSTANCES = 20
_METRICS_PATH = "/openapi/v1/metrics/gpu/instance"


async def _body(request: Request) -> dict[str, Any]:
    return await json_object(request, "gpu")


def _int(value: Any, name: str, default: int | None = None) -> int:
    if value in (None, ""):
        if default is None:
            raise SandboxError("gpu", "VALIDATOR_PARAM", f"{name} is required")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SandboxError("gpu", "VALIDATOR_PARAM", f"{name} must be an integer") from None


class InstancesDomain:
    """Also the hook for the VPC domain: ``instances_using_network(network_id)``."""

    name = "gpu"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.instances: dict[str, Instance] = {}
        p = GPU_BASE + "/gpu/instance"
        self.routes = [
            Route(p + "/create", self.create, methods=["POST"]),
            Route(GPU_BASE + "/gpu/instances", self.list, methods=["GET"]),
            Route(p, self.get, methods=["GET"]),
            *[Route(f"{p}/{op}", self._simple(op), methods=["POST"]) for op in ("start", "stop", "restart", "delete")],
            Route(p + "/edit", self.edit, methods=["POST"]),
            Route(p + "/upgrade", self.upgrade, methods=["POST"]),
            Route(p + "/migrate", self.migrate, methods=["POST"]),
            Route(p + "/renewInstance", self.renew, methods=["POST"]),
            Route(p + "/transToMonthlyInstance", self.to_monthly, methods=["POST"]),
            Route(_METRICS_PATH, self.metrics, methods=["GET"]),
        ]

    # --- hooks for other domains --------------------------------------------------------
    @property
    def catalog(self) -> CatalogDomain:
        return self.state.domains["gpu_catalog"]

    def live(self) -> list[Instance]:
        now = self.state.now()
        return [i for i in self.instances.values() if not i.removed_at(now)]

    def instances_using_network(self, network_id: str) -> list[str]:
        return [i.id for i in self.live() if i.network_id == network_id]

    def instances_using_storage(self, storage_id: str) -> list[str]:
        return [i.id for i in self.live() if any(sid == storage_id for sid, _ in i.network_storages)]

    def instances_using_registry_auth(self, auth_id: str) -> list[str]:
        return [i.id for i in self.live() if i.image_auth_id == auth_id]

    def _storage_sizes(self) -> dict[str, int]:
        resources = self.state.domains.get("gpu_resources")
        return resources.storage_sizes() if resources is not None else {}

    def find(self, instance_id: Any) -> Instance:
        inst = self.instances.get(str(instance_id or ""))
        if inst is None or inst.removed_at(self.state.now()):
            raise SandboxError("gpu", "RESOURCE_NOT_FOUND", f"instance {instance_id!r} not found")
        return inst

    # --- money --------------------------------------------------------------------------
    def settle(self, now: float) -> None:
        for inst in list(self.instances.values()):
            self._renew_or_expire(inst, now)
            compute, unit_seconds, disk, gb_seconds = inst.accrue(now)
            if compute > 0:
                self.state.charge(None, category="gpu", product_name=inst.product_name, amount_units=compute,
                                  owner_id=inst.id, product_id=inst.product_id, bill_num0=unit_seconds,
                                  unit_price0=Decimal(inst.price), at=now)
            if disk > 0:
                self.state.charge(None, category="gpu", product_name=f"{inst.product_name} container disk",
                                  amount_units=disk, owner_id=inst.id, product_id=inst.product_id,
                                  bill_num0=gb_seconds, at=now)
        if self.state.balance_units + self.state.credit_limit_units <= 0:
            for inst in self.instances.values():  # arrears: pay-as-you-go instances are frozen
                if inst.pay_as_you_go and inst.status_at(now) in ("running", "pulling"):
                    inst.schedule("freeze", now)

    def _renew_or_expire(self, inst: Instance, now: float) -> None:
        if inst.billing_mode != "monthly" or inst.end_time <= 0 or now < inst.end_time:
            return
        if inst.auto_renew:
            months = inst.auto_renew_month
            self.state.charge(None, **monthly_charge(self.catalog, inst, months, "monthly_re_buy"), at=inst.end_time)
            inst.end_time += months * 30 * 86400
        elif inst.status_at(now) in ("running", "pulling"):
            inst.schedule("stop", now)

    # --- routes -------------------------------------------------------------------------
    async def create(self, request: Request) -> JSONResponse:
        body = await _body(request)
        if len(self.live()) >= MAX_LIVE_INSTANCES:
            raise SandboxError("gpu", "CREATE_INSTANCE_LIMIT", f"at most {MAX_LIVE_INSTANCES} instances per account")
        now = self.state.now()
        inst = build_instance(self.state, self.catalog, body, now, instance_id=secrets.token_hex(8))
        if inst.billing_mode == "monthly":
            months = (int(inst.end_time) - int(now)) // (30 * 86400)
            self.state.charge("gpu", **monthly_charge(self.catalog, inst, months, "monthly_new_buy"))
        else:  # a pay-as-you-go instance must be able to run for an hour
            self.state.require_balance("gpu", Decimal(inst.units * inst.price) / 10)
        inst.schedule("create", now)
        inst.settled_at = now
        self.instances[inst.id] = inst
        return JSONResponse({"id": inst.id})

    async def list(self, request: Request) -> JSONResponse:
        q = request.query_params
        page_size = _int(q.get("pageSize"), "pageSize", 10)
        page_num = _int(q.get("pageNum"), "pageNum", 0)
        if page_size < 0 or page_num < 0:
            raise SandboxError("gpu", "VALIDATOR_PARAM", "pageSize and pageNum must be >= 0")
        now = self.state.now()
        name, product, status = (q.get("name") or "").lower(), (q.get("productName") or "").lower(), q.get("status")
        rows = [i for i in sorted(self.live(), key=lambda i: i.created_at, reverse=True)
                if name in i.name.lower() and product in i.product_name.lower()
                and (not status or i.status_at(now) == status)]
        # pageNum counts from 0 here, though some clients send 1 for the first page
        size = page_size or 10
        chunk = rows[page_num * size : (page_num + 1) * size]
        sizes = self._storage_sizes()
        return JSONResponse({"instances": [instance_json(i, now, detail=False, storage_sizes=sizes) for i in chunk],
                             "total": len(rows)})

    async def get(self, request: Request) -> JSONResponse:
        inst = self.find(request.query_params.get("instanceId"))
        return JSONResponse(instance_json(inst, self.state.now(), detail=True, storage_sizes=self._storage_sizes()))

    def _simple(self, op: str) -> Any:
        async def handler(request: Request) -> JSONResponse:
            inst = self.find((await _body(request)).get("instanceId"))
            now = self.state.now()
            if op == "delete" and inst.billing_mode == "monthly" and now < inst.end_time:
                raise SandboxError("gpu", "PREPAID_INSTANCE_NOT_SUPPORT_RELEASE",
                                   "a subscription instance cannot be released before it expires")
            self._require(inst, op, now)
            if op == "start" and inst.pay_as_you_go:
                self.state.require_balance("gpu", Decimal(inst.units * inst.price) / 10)
            inst.schedule(op, now)
            return JSONResponse({})

        handler.__name__ = f"instance_{op}"
        return handler

    def _require(self, inst: Instance, op: str, now: float) -> None:
        problem = inst.not_allowed(op, now)
        if problem:
            raise SandboxError("gpu", "OPERATION_LIMIT", problem)

    async def edit(self, request: Request) -> JSONResponse:
        body = await _body(request)
        inst = self.find(body.get("instanceId"))
        self._require(inst, "edit", self.state.now())
        expand = _int(body.get("expandRootDisk"), "expandRootDisk", 0)
        if expand < 0 or inst.rootfs + expand > inst.max_rootfs:
            raise SandboxError("gpu", "VALIDATOR_PARAM",
                               f"expandRootDisk must keep the disk within {inst.max_rootfs} GB (now {inst.rootfs} GB)")
        ports = body.get("ports")
        if ports is not None:
            new_ports = parse_port_list(ports, len(inst.tools))
        self.settle(self.state.now())  # the larger disk is billed from now on, not retroactively
        inst.rootfs += expand
        if ports is not None:
            inst.ports = new_ports
        return JSONResponse({})

    async def upgrade(self, request: Request) -> JSONResponse:
        body = await _body(request)
        inst = self.find(body.get("instanceId"))
        missing = [k for k in ("imageUrl", "envs", "command", "save", "networkVolume") if k not in body]
        if missing:
            raise SandboxError("gpu", "VALIDATOR_PARAM", f"upgrade needs every parameter; missing {', '.join(missing)}")
        image = str(body.get("imageUrl") or "")
        if not 1 <= len(image) <= 500:
            raise SandboxError("gpu", "VALIDATOR_PARAM", "imageUrl must be 1-500 characters")
        now = self.state.now()
        self._require(inst, "upgrade", now)
        resources = self.state.domains.get("gpu_resources")
        mounts = (body.get("networkVolume") or {}).get("volumeMounts") or []
        storages = [(str(m.get("id", "")), str(m.get("mountPath") or "/network")) for m in mounts]
        for sid, _ in storages:
            if resources is not None:
                resources.require_storage(sid, inst.cluster_id)
        inst.image_url, inst.command = image, str(body.get("command") or "")
        inst.image_auth_id = str(body.get("imageAuthId") or "")
        inst.envs = [{"key": str(e.get("key", "")), "value": str(e.get("value", ""))} for e in body.get("envs") or []]
        inst.network_storages = storages
        inst.schedule("upgrade", now)
        return JSONResponse({})

    async def migrate(self, request: Request) -> JSONResponse:
        inst = self.find((await _body(request)).get("instanceId"))
        now = self.state.now()
        self._require(inst, "migrate", now)
        if inst.network_storages or inst.network_id:
            raise SandboxError("gpu", "DEPENDENT_RESOURCE_STATE",
                               "detach network storage and the VPC network before migrating")
        product = self.catalog.gpu_products.get(inst.product_id) or self.catalog.cpu_products.get(inst.product_id)
        stock = getattr(product, "stock", {}) if product is not None else {}
        targets = sorted((c for c, free in stock.items() if c != inst.cluster_id and free >= inst.units),
                         key=lambda c: -stock[c])
        if not targets:
            raise SandboxError("gpu", "MIGRATE_INSUFFICIENT_RESOURCE", "no other cluster has capacity for this instance")
        cluster = self.catalog.cluster(targets[0])
        inst.cluster_id, inst.cluster_name = cluster.id, cluster.name
        inst.schedule("migrate", now)
        return JSONResponse({})

    async def renew(self, request: Request) -> JSONResponse:
        body = await _body(request)
        inst = self.find(body.get("instanceId"))
        months = _int(body.get("month"), "month")
        now = self.state.now()
        if inst.status_at(now) in ("toCreate", "creating", "pulling"):
            raise SandboxError("gpu", "CREATING_INSTANCE_NOT_SUPPORT_RENEWAL", "the instance is still being created")
        if inst.billing_mode != "monthly":
            raise SandboxError("gpu", "UNSUPPORTED_BILLING_MODE", "only subscription instances can be renewed")
        self._require(inst, "renew", now)
        self.state.charge("gpu", **monthly_charge(self.catalog, inst, months, "monthly_re_buy"))
        inst.end_time = max(inst.end_time, now) + months * 30 * 86400
        return JSONResponse({})

    async def to_monthly(self, request: Request) -> JSONResponse:
        body = await _body(request)
        inst = self.find(body.get("instanceId"))
        months = _int(body.get("month"), "month")
        now = self.state.now()
        if inst.billing_mode == "monthly":
            raise SandboxError("gpu", "UNSUPPORTED_BILLING_MODE", "the instance is already a subscription")
        self._require(inst, "monthly", now)
        charge = monthly_charge(self.catalog, inst, months, "monthly_new_buy")
        self.settle(now)  # pay-as-you-go time up to now is billed first
        self.state.charge("gpu", **charge)
        inst.billing_mode, inst.end_time = "monthly", now + months * 30 * 86400
        return JSONResponse({})

    async def metrics(self, request: Request) -> JSONResponse:
        q = request.query_params
        inst = self.find(q.get("instanceId"))
        now = int(self.state.now())

        def loose(name: str, default: int) -> int:  # bad values silently fall back to defaults
            try:
                return int(q.get(name) or default)
            except ValueError:
                return default

        end = loose("endTime", now)
        end = end if 0 < end <= now else now
        start = loose("startTime", end - 60)
        start = start if 0 < start <= end - 60 else end - 60
        interval = loose("interval", 15)
        interval = max(15, interval)
        return JSONResponse(metrics_json(inst, start, end, interval))

    # --- starting data --------------------------------------------------------------------
    def seed(self) -> None:
        """An exited RTX 4090 (the one that ran 6 h on day 15 of the billing seed) and the
        subscription instance bought 18 days ago (``seedmonthly01``), still running."""
        for inst in seed_instances(self.catalog, self.state.now()):
            self.instances[inst.id] = inst
