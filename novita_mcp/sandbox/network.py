"""VPC networks (Novita docs: gpu-instance-*-vpc), under ``/gpu-instance/openapi/v1`` (GPU family).

``GET /networks`` (``pageSize``, ``pageNum``, ``name``) → ``{networks, total}``;
``GET /network?networkId=`` → ``{network}`` (the docs' wrapped object, not the unofficial
array); ``POST /network/create`` ``{clusterId, name}`` → ``{network}`` (the reference only says
"network info"; wrapping it like ``get`` is this project's choice); ``POST /network/update``
``{networkId, name}`` → ``{}``; ``POST /network/delete`` ``{networkId}`` → ``{}``, refused with
``NETWORK_IN_USE`` while instances use the network. Unknown ids: 400 ``NETWORK_NOT_FOUND``.

The object keeps the unofficial names (open question 3): ``Id``, ``user``, ``name``,
``state: {state: creating|ready, error}``, ``segment``, ``clusterId``, ``Addresses: [{Id, Ip}]``
(one per attached instance), ``createTime`` (unix seconds as a string). Networks are free.

The GPU domain (instances) asks ``exists(network_id)`` before attaching an instance; this
domain asks any domain that has ``instances_using_network(network_id)`` which instances use it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from novita_mcp.sandbox.errors import SandboxError, json_object
from novita_mcp.sandbox.state import SandboxState

__all__ = ["NetworkDomain", "READY_SECONDS", "MAX_NETWORKS"]

BASE = "/gpu-instance/openapi/v1"
READY_SECONDS = 10.0
MAX_NETWORKS = 10


def _gpu(reason: str, message: str) -> SandboxError:
    return SandboxError("gpu", reason, message)


@dataclass
class Network:
    id: str
    name: str
    cluster_id: str
    segment: str
    created_at: float


class NetworkDomain:
    name = "network"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.networks: dict[str, Network] = {}
        self._segments = 0
        self.routes = [
            Route(f"{BASE}/networks", self.index, methods=["GET"]),
            Route(f"{BASE}/network", self.get, methods=["GET"]),
            Route(f"{BASE}/network/create", self.create, methods=["POST"]),
            Route(f"{BASE}/network/update", self.update, methods=["POST"]),
            Route(f"{BASE}/network/delete", self.delete, methods=["POST"]),
        ]

    def settle(self, now: float) -> None:
        """Networks cost nothing; their state is computed from the clock."""

    # --- for other domains ---------------------------------------------------------------------
    def exists(self, network_id: str) -> bool:
        return network_id in self.networks

    def _users(self, network_id: str) -> list[str]:
        found: list[str] = []
        for domain in self.state.domains.values():
            using = getattr(domain, "instances_using_network", None)
            if callable(using):
                found.extend(using(network_id))
        return found

    def _ip(self, instance_id: str, fallback: str) -> str:
        instances = getattr(self.state.domains.get("gpu"), "instances", {})
        return str(getattr(instances.get(instance_id), "network_ip", "") or fallback)

    # --- views ---------------------------------------------------------------------------------
    def view(self, net: Network) -> dict[str, Any]:
        ready = self.state.now() >= net.created_at + READY_SECONDS
        prefix = net.segment.rsplit(".", 2)[0]
        return {
            "Id": net.id, "user": self.state.user_id, "name": net.name,
            "state": {"state": "ready" if ready else "creating", "error": ""},
            "segment": net.segment, "clusterId": net.cluster_id,
            "Addresses": [{"Id": inst, "Ip": self._ip(inst, f"{prefix}.0.{i + 2}")}
                          for i, inst in enumerate(self._users(net.id))],
            "createTime": str(int(net.created_at)),
        }

    def _find(self, network_id: Any) -> Network:
        net = self.networks.get(str(network_id or ""))
        if net is None:
            raise _gpu("NETWORK_NOT_FOUND", f"network {network_id!r} not found")
        return net

    @staticmethod
    def _name(value: Any, low: int) -> str:
        name = "" if value is None else value
        if not isinstance(name, str) or not low <= len(name) <= 30:
            raise _gpu("VALIDATOR_PARAM", f"name must be {low}-30 characters")
        return name

    # --- routes ----------------------------------------------------------------------------------
    async def index(self, request: Request) -> JSONResponse:
        q = request.query_params
        try:
            size, num = int(q.get("pageSize") or 10), int(q.get("pageNum") or 0)
        except ValueError:
            raise _gpu("VALIDATOR_PARAM", "pageSize and pageNum must be integers") from None
        if size < 1 or num < 0:
            raise _gpu("VALIDATOR_PARAM", "pageSize >= 1 and pageNum >= 0")
        name = (q.get("name") or "").lower()
        items = [n for n in reversed(self.networks.values())  # newest first
                 if name in n.name.lower()]
        return JSONResponse({"networks": [self.view(n) for n in items[num * size:(num + 1) * size]],
                             "total": len(items)})

    async def get(self, request: Request) -> JSONResponse:
        return JSONResponse({"network": self.view(self._find(request.query_params.get("networkId")))})

    async def create(self, request: Request) -> JSONResponse:
        body = await _body(request)
        cluster = body.get("clusterId")
        if not isinstance(cluster, str) or not 1 <= len(cluster) <= 255:
            raise _gpu("VALIDATOR_PARAM", "clusterId is required (1-255 characters)")
        name = self._name(body.get("name"), 0)
        catalog = self.state.domains.get("gpu_catalog")
        if catalog is not None:
            catalog.cluster(cluster)  # 400 RESOURCE_NOT_FOUND for an unknown cluster
        if len(self.networks) >= MAX_NETWORKS:
            raise _gpu("NETWORK_MAX_LIMIT", f"at most {MAX_NETWORKS} networks per account")
        self._segments += 1
        net = Network(id=secrets.token_hex(8), name=name, cluster_id=cluster,
                      segment=f"10.{self._segments % 250}.0.0/16", created_at=self.state.now())
        self.networks[net.id] = net
        return JSONResponse({"network": self.view(net)})

    async def update(self, request: Request) -> JSONResponse:
        body = await _body(request)
        net = self._find(body.get("networkId"))
        net.name = self._name(body.get("name"), 1)
        return JSONResponse({})

    async def delete(self, request: Request) -> JSONResponse:
        body = await _body(request)
        net = self._find(body.get("networkId"))
        users = self._users(net.id)
        if users:
            raise _gpu("NETWORK_IN_USE", f"network {net.id} is used by instance(s) {', '.join(users)}; "
                                         "delete them or move them off the network first")
        del self.networks[net.id]
        return JSONResponse({})


async def _body(request: Request) -> dict[str, Any]:
    return await json_object(request, "gpu")
