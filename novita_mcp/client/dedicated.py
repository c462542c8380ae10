"""Dedicated endpoints (REFERENCE.md §8.3) on their own base URL (``NOVITA_DEDICATED_BASE_URL``).

Control plane ``/v0/dedicated_endpoints``; inference is OpenAI-compatible
``POST /v1/chat/completions`` on the same host with ``model`` = the endpoint's ``routing_key``.
"""

from __future__ import annotations

import builtins
from typing import Any

from pydantic import Field

from novita_mcp.client._http import HTTPCore
from novita_mcp.client._models import APIModel, LooseInt, LooseStr
from novita_mcp.ids import ENDPOINT, segment

__all__ = ["DedicatedAPI", "DedicatedTemplate", "DedicatedEndpoint", "Scaling", "DedicatedChat"]


class DedicatedTemplate(APIModel):
    model_name: LooseStr = ""
    flavor_name: LooseStr = ""
    gpu_type: LooseStr = ""
    gpu_count: LooseInt = 0
    regions: list[str] = Field(default_factory=list)


class Scaling(APIModel):
    min_replicas: LooseInt = 0
    max_replicas: LooseInt = 0


class Replicas(APIModel):
    active: LooseInt = 0
    starting: LooseInt = 0


class DedicatedEndpoint(APIModel):
    id: LooseStr = ""
    name: LooseStr = ""
    description: LooseStr = ""
    model_name: LooseStr = ""
    flavor_name: LooseStr = ""
    gpu_type: LooseStr = ""
    gpu_count: LooseInt = 0
    region: LooseStr = ""
    scaling: Scaling = Field(default_factory=Scaling)
    enabled: bool = True
    routing_key: LooseStr = ""
    status: LooseStr = ""
    replicas: Replicas = Field(default_factory=Replicas)
    created_at: LooseInt = 0


class DedicatedChat(APIModel):
    content: str = ""
    finish_reason: LooseStr = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0


class DedicatedAPI:
    """``client.dedicated``: the dedicated-endpoint lifecycle and inference by routing key."""

    PATH = "/v0/dedicated_endpoints"

    def __init__(self, http: HTTPCore, *, base_url: str) -> None:
        self._http = http
        self.base_url = base_url.rstrip("/")

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self._http.request(method, path, base_url=self.base_url, **kwargs)

    async def templates(self) -> list[DedicatedTemplate]:
        body = await self._call("GET", f"{self.PATH}/templates")
        items = body.get("templates", body.get("data", [])) if isinstance(body, dict) else body
        return [DedicatedTemplate.model_validate(t) for t in items or []]

    async def create(self, *, name: str, model_name: str, flavor_name: str, gpu_type: str, gpu_count: int,
                     min_replicas: int, max_replicas: int, region: str | None = None,
                     description: str | None = None) -> DedicatedEndpoint:
        body: dict[str, Any] = {
            "name": name, "model_name": model_name, "flavor_name": flavor_name, "gpu_type": gpu_type,
            "gpu_count": gpu_count, "scaling": {"min_replicas": min_replicas, "max_replicas": max_replicas},
        }
        if region:
            body["region"] = region
        if description:
            body["description"] = description
        return DedicatedEndpoint.model_validate(await self._call("POST", self.PATH, json_body=body))

    async def list(self) -> list[DedicatedEndpoint]:
        body = await self._call("GET", self.PATH)
        items = body.get("endpoints", body.get("data", [])) if isinstance(body, dict) else body
        return [DedicatedEndpoint.model_validate(e) for e in items or []]

    async def get(self, endpoint_id: str) -> DedicatedEndpoint:
        return DedicatedEndpoint.model_validate(await self._call("GET", f"{self.PATH}/{segment(ENDPOINT, endpoint_id)}"))

    async def update(self, endpoint_id: str, **changes: Any) -> DedicatedEndpoint:
        """Partial update (PATCH): only the fields given are sent."""
        body = {k: v for k, v in changes.items() if v is not None}
        return DedicatedEndpoint.model_validate(await self._call("PATCH", f"{self.PATH}/{segment(ENDPOINT, endpoint_id)}", json_body=body))

    async def delete(self, endpoint_id: str) -> None:
        await self._call("DELETE", f"{self.PATH}/{segment(ENDPOINT, endpoint_id)}")

    async def chat(self, routing_key: str, messages: builtins.list[dict[str, Any]], *,
                   max_tokens: int | None = None) -> DedicatedChat:
        body: dict[str, Any] = {"model": routing_key, "messages": messages}
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        raw = await self._call("POST", "/v1/chat/completions", json_body=body)
        choice = (raw.get("choices") or [{}])[0]
        usage = raw.get("usage") or {}
        return DedicatedChat(content=str((choice.get("message") or {}).get("content") or ""),
                             finish_reason=choice.get("finish_reason") or "",
                             prompt_tokens=int(usage.get("prompt_tokens") or 0),
                             completion_tokens=int(usage.get("completion_tokens") or 0))
