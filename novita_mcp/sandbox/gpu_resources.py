"""Templates, network storage and container-registry auth (Novita docs: gpu-instance-*-template, -*-network-storage, -*-container-registry-auth).

Network storage is charged per second at the published $0.002 per GB per day (the rate
lives in ``novita_mcp.pricing.gpu`` so tools quote what this charges; category
"cloud_storage", owner = storage id, billNum0 = GB-seconds). Its ``price`` field has no
documented unit; we send the same rate in 1/100000 USD per GB per day ("200").
"""

from __future__ import annotations

import secrets
import string
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from novita_mcp.pricing.gpu import NETWORK_STORAGE_USD_PER_GB_DAY
from novita_mcp.sandbox.errors import SandboxError
from novita_mcp.sandbox.gpu_catalog import GPU_BASE
from novita_mcp.sandbox.gpu_instances import _body, _int
from novita_mcp.sandbox.gpu_templates import TemplateStore
from novita_mcp.sandbox.state import SandboxState

__all__ = ["MAX_STORAGE_GB", "MIN_STORAGE_GB", "ResourcesDomain"]

MIN_STORAGE_GB = 10
MAX_STORAGE_GB = 10_240
_UNITS_PER_GB_SECOND = NETWORK_STORAGE_USD_PER_GB_DAY * 10_000 / Decimal(86_400)


@dataclass
class Storage:
    id: str
    name: str
    size: int
    cluster_id: str
    cluster_name: str
    settled_at: float
    gb_seconds: Decimal = Decimal(0)
    charged: Decimal = Decimal(0)


@dataclass
class RegistryAuth:
    id: str
    name: str
    username: str
    password: str = field(repr=False)


class ResourcesDomain:
    name = "gpu_resources"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.storages: dict[str, Storage] = {}
        self.auths: dict[str, RegistryAuth] = {}
        self.templates = TemplateStore(state)
        self.routes = [
            *self.templates.routes,
            Route(GPU_BASE + "/networkstorage/create", self.create_storage, methods=["POST"]),
            Route(GPU_BASE + "/networkstorages/list", self.list_storages, methods=["GET"]),
            Route(GPU_BASE + "/networkstorage/update", self.update_storage, methods=["POST"]),
            Route(GPU_BASE + "/networkstorage/delete", self.delete_storage, methods=["POST"]),
            Route(GPU_BASE + "/repository/auth/save", self.save_auth, methods=["POST"]),
            Route(GPU_BASE + "/repository/auths", self.list_auths, methods=["GET"]),
            Route(GPU_BASE + "/repository/auth/delete", self.delete_auth, methods=["POST"]),
        ]

    # --- used by the instances domain -----------------------------------------------------
    def storage_sizes(self) -> dict[str, int]:
        return {s.id: s.size for s in self.storages.values()}

    def _storage(self, storage_id: Any) -> Storage:
        found = self.storages.get(str(storage_id or ""))
        if found is None:
            raise SandboxError("gpu", "NETWORK_STORAGE_NOT_FOUND", f"network storage {storage_id!r} not found")
        return found

    def storage_cluster(self, storage_id: str) -> str:
        return self._storage(storage_id).cluster_id

    def require_storage(self, storage_id: str, cluster_id: str) -> None:
        if self._storage(storage_id).cluster_id != cluster_id:
            raise SandboxError("gpu", "DEPENDENT_RESOURCE_STATE",
                               f"network storage {storage_id} is in another cluster than {cluster_id}")

    def require_auth(self, auth_id: str) -> None:
        if auth_id not in self.auths:
            raise SandboxError("gpu", "RESOURCE_NOT_FOUND", f"registry auth {auth_id!r} not found")

    def _users(self, kind: str, resource_id: str) -> list[str]:
        instances = self.state.domains.get("gpu")
        if instances is None:
            return []
        finder = instances.instances_using_storage if kind == "storage" else instances.instances_using_registry_auth
        return finder(resource_id)

    # --- money --------------------------------------------------------------------------
    def settle(self, now: float) -> None:
        for s in self.storages.values():
            seconds = Decimal(str(now)) - Decimal(str(s.settled_at))
            if seconds <= 0:
                continue
            s.settled_at = now
            s.gb_seconds += seconds * s.size
            total = s.gb_seconds * _UNITS_PER_GB_SECOND
            amount, s.charged = total - s.charged, total
            self.state.charge(None, category="cloud_storage", product_name=f"Network storage ({s.cluster_name})",
                              amount_units=amount, owner_id=s.id, bill_num0=seconds * s.size, at=now)

    # --- network storage ------------------------------------------------------------------
    def _size(self, raw: Any) -> int:
        size = _int(raw, "storageSize")  # the seed's update example sends a string
        if size < MIN_STORAGE_GB:
            raise SandboxError("gpu", "VALIDATOR_PARAM", f"storageSize must be at least {MIN_STORAGE_GB} GB")
        if size > MAX_STORAGE_GB:
            raise SandboxError("gpu", "NETWORK_STORAGE_TOO_LARGE", f"storageSize may be at most {MAX_STORAGE_GB} GB")
        return size

    async def create_storage(self, request: Request) -> JSONResponse:
        body = await _body(request)
        catalog = self.state.domains["gpu_catalog"]
        cluster = catalog.cluster(str(body.get("clusterId") or ""))
        if not cluster.network_storage:
            raise SandboxError("gpu", "CUR_CLUSTER_NETWORK_STORAGE_NOT_SUPPORT",
                               f"cluster {cluster.name} does not offer network storage")
        name = str(body.get("storageName") or "")
        if not 1 <= len(name) <= 255:
            raise SandboxError("gpu", "VALIDATOR_PARAM", "storageName must be 1-255 characters")
        size = self._size(body.get("storageSize"))
        self.state.require_balance("gpu", Decimal(size) * NETWORK_STORAGE_USD_PER_GB_DAY * 10_000)  # one day
        sid = str(uuid.uuid4())
        self.storages[sid] = Storage(sid, name, size, cluster.id, cluster.name, settled_at=self.state.now())
        return JSONResponse("")  # the docs show a bare JSON string

    async def list_storages(self, request: Request) -> JSONResponse:
        q = request.query_params
        page_no = max(1, _int(q.get("pageNo"), "pageNo", 1))
        page_size = max(1, _int(q.get("pageSize"), "pageSize", 10))
        name, wanted = (q.get("storageName") or "").lower(), q.get("storageId") or ""
        rows = [s for s in self.storages.values() if name in s.name.lower() and (not wanted or s.id == wanted)]
        chunk = rows[(page_no - 1) * page_size : page_no * page_size]
        price = str(int(NETWORK_STORAGE_USD_PER_GB_DAY * 100_000))
        return JSONResponse({"data": [{"storageId": s.id, "storageName": s.name, "storageSize": s.size,
                                       "clusterId": s.cluster_id, "clusterName": s.cluster_name, "price": price}
                                      for s in chunk], "total": len(rows)})

    async def update_storage(self, request: Request) -> JSONResponse:
        body = await _body(request)
        storage = self._storage(body.get("storageId"))
        size = self._size(body.get("storageSize", storage.size))
        if size < storage.size:
            raise SandboxError("gpu", "VALIDATOR_PARAM", f"storageSize can only grow (now {storage.size} GB)")
        self.settle(self.state.now())  # the old size is billed up to now
        storage.size = size
        if body.get("storageName"):
            storage.name = str(body["storageName"])[:255]
        return JSONResponse({})

    async def delete_storage(self, request: Request) -> JSONResponse:
        storage = self._storage((await _body(request)).get("storageId"))
        users = self._users("storage", storage.id)
        if users:
            raise SandboxError("gpu", "NETWORK_STORAGE_IN_USE", f"mounted by instance(s) {', '.join(users)}")
        self.settle(self.state.now())
        del self.storages[storage.id]
        return JSONResponse({})

    # --- registry auth ----------------------------------------------------------------------
    async def save_auth(self, request: Request) -> JSONResponse:
        body = await _body(request)
        fields = {k: str(body.get(k) or "") for k in ("name", "username", "password")}
        missing = [k for k, v in fields.items() if not v]
        if missing:
            raise SandboxError("gpu", "VALIDATOR_PARAM", f"{', '.join(missing)} required")
        auth_id = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(32))
        self.auths[auth_id] = RegistryAuth(auth_id, **fields)
        return JSONResponse({})

    async def list_auths(self, request: Request) -> JSONResponse:
        # The docs example returns the password in clear; so does the sandbox.
        return JSONResponse({"data": [{"id": a.id, "name": a.name, "username": a.username, "password": a.password}
                                      for a in self.auths.values()]})

    async def delete_auth(self, request: Request) -> JSONResponse:
        auth_id = str((await _body(request)).get("id") or "")
        self.require_auth(auth_id)
        users = self._users("auth", auth_id)
        if users:
            raise SandboxError("gpu", "IMAGE_AUTH_IN_USE", f"used by instance(s) {', '.join(users)}")
        del self.auths[auth_id]
        return JSONResponse({})

    def seed(self) -> None:
        self.templates.seed()
