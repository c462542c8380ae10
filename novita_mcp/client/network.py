"""VPC networks (REFERENCE.md §6.10), under ``/gpu-instance/openapi/v1``.

Field names follow the only known source (the unofficial spec, open question 3): ``Id``,
``state: {state, error}``, ``segment``, ``clusterId``, ``Addresses: [{Id, Ip}]``, ``createTime``.
``get``/``create`` answers are read whether wrapped in ``{"network": ...}``, given as an array of
one, or bare.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from novita_mcp.client._http import HTTPCore
from novita_mcp.client._models import APIModel, LooseStr
from novita_mcp.ids import NETWORK, check_id

__all__ = ["NetworkAPI", "Network", "NetworkAddress"]


class NetworkAddress(APIModel):
    instance_id: LooseStr = Field("", alias="Id")
    ip: LooseStr = Field("", alias="Ip")


class Network(APIModel):
    id: LooseStr = Field("", alias="Id")
    name: LooseStr = ""
    state: LooseStr = ""
    error: LooseStr = ""
    segment: LooseStr = ""
    cluster_id: LooseStr = Field("", alias="clusterId")
    addresses: list[NetworkAddress] = Field(default_factory=list, alias="Addresses")
    create_time: LooseStr = Field("", alias="createTime")

    @classmethod
    def parse(cls, body: Any) -> Network:
        if isinstance(body, dict) and "network" in body:
            body = body["network"]
        if isinstance(body, list):
            body = body[0] if body else {}
        data = dict(body) if isinstance(body, dict) else {}
        if "Id" not in data and "id" in data:
            data["Id"] = data["id"]
        state = data.get("state")
        if isinstance(state, dict):
            data["state"], data["error"] = state.get("state", ""), state.get("error", "")
        return cls.model_validate(data)

    @field_validator("addresses", mode="before")
    @classmethod
    def _addresses(cls, value: Any) -> Any:
        return value or []


class NetworkAPI:
    """``client.network``: VPC networks (free; an instance joins one with ``networkId``)."""

    BASE = "/gpu-instance/openapi/v1"

    def __init__(self, http: HTTPCore) -> None:
        self._http = http

    async def list(self, *, page_size: int = 50, page_num: int = 0,
                   name: str | None = None) -> tuple[list[Network], int]:
        body = await self._http.request("GET", f"{self.BASE}/networks",
                                        params={"pageSize": page_size, "pageNum": page_num, "name": name})
        items = [Network.parse(n) for n in body.get("networks") or []]
        return items, int(body.get("total") or len(items))

    async def get(self, network_id: str) -> Network:
        return Network.parse(await self._http.request("GET", f"{self.BASE}/network", params={"networkId": check_id(NETWORK, network_id)}))

    async def create(self, *, cluster_id: str, name: str) -> Network:
        body = await self._http.request("POST", f"{self.BASE}/network/create",
                                        json_body={"clusterId": cluster_id, "name": name})
        return Network.parse(body)

    async def update(self, network_id: str, *, name: str) -> None:
        await self._http.request("POST", f"{self.BASE}/network/update",
                                 json_body={"networkId": network_id, "name": name})

    async def delete(self, network_id: str) -> None:
        await self._http.request("POST", f"{self.BASE}/network/delete", json_body={"networkId": network_id})
