"""Dedicated endpoints (Novita's dedicated-endpoints API page) and OpenAI-compatible inference on their routing keys.

Control plane: ``GET /v0/dedicated_endpoints/templates``, ``POST /v0/dedicated_endpoints``,
``GET /v0/dedicated_endpoints``, ``GET|PATCH|DELETE /v0/dedicated_endpoints/{endpoint_id}``.
Data plane: ``POST /v1/chat/completions`` with ``model`` = the endpoint's ``routing_key`` (and
``GET /v1/models``). Errors use the "dedicated" family envelope.

``/v1`` is also where the API reference's Quick Start sends its first request
(``GET https://api.novita.ai/v1/models``), so ``/v1/models`` lists the serverless LLM
catalogue too, and ``/v1/chat/completions`` with a catalogue model is answered (and charged)
by the LLM domain, exactly as under ``/openai/v1``.

Choices where the reference is silent (open question 17), kept here:

* a template is one deployable combination ``{model_name, flavor_name, gpu_type, gpu_count,
  regions}``; list answers ``{"templates": [...]}``, other lists ``{"endpoints": [...]}``;
* an endpoint answers with ``id``, ``routing_key`` (``<model_name>:<id>``), the create fields,
  ``status`` (``starting`` → ``ready``; ``stopped`` when disabled; ``sleeping`` with 0 replicas),
  ``replicas`` ``{active, starting}``, ``created_at``/``updated_at`` (unix seconds);
* a replica starts in ``STARTUP_SECONDS`` (12 min, within the documented 10–15) and is billed
  per whole active GPU-minute once ready (start-up and shutdown excluded; a started minute is
  billed when a replica is released), at ``pricing.platform.DEDICATED_GPU_HOUR_USD``;
* PATCH changes ``name``, ``description``, ``scaling`` (partial) and ``enabled``; ``region``
  and the deployment fields are immutable (400); raising ``min_replicas`` starts new replicas,
  lowering it releases the newest at once;
* inference before the endpoint is ready answers 404 NOT_FOUND (as documented); the answer is
  deterministic text, and tokens are not billed separately (the GPU-minutes are the price).
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from novita_mcp.pricing.platform import DEDICATED_GPU_HOUR_USD
from novita_mcp.sandbox.errors import SandboxError, json_object
from novita_mcp.sandbox.llm_catalog import CATALOGUE, find_model, model_json
from novita_mcp.sandbox.state import UNITS_PER_USD, SandboxState

__all__ = ["DedicatedDomain", "TEMPLATES", "STARTUP_SECONDS", "REGIONS"]

STARTUP_SECONDS = 720.0
REGIONS = ("eu-north1", "eu-west1", "us-central1")
FLAVORS = ("base", "fast")
MAX_REPLICAS = 10

TEMPLATES: list[dict[str, Any]] = [
    {"model_name": model, "flavor_name": flavor, "gpu_type": gpu, "gpu_count": count, "regions": list(regions)}
    for model, flavor, gpu, count, regions in (
        ("openai/gpt-oss-120b", "base", "gpu-h100-sxm", 1, REGIONS),
        ("openai/gpt-oss-120b", "fast", "gpu-h200-sxm", 2, REGIONS),
        ("meta-llama/Llama-3.3-70B-Instruct", "base", "gpu-h100-sxm", 2, REGIONS),
        ("meta-llama/Llama-3.3-70B-Instruct", "fast", "gpu-h200-sxm", 2, ("eu-north1", "us-central1")),
        ("Qwen/Qwen3-32B", "base", "gpu-h100-sxm", 1, REGIONS),
        ("Qwen/Qwen3-32B", "base", "gpu-rtx4090", 2, ("us-central1",)),
        ("Qwen/Qwen3-8B", "base", "gpu-rtx4090", 1, REGIONS),
    )
]


def _bad(message: str) -> SandboxError:
    return SandboxError("dedicated", "INVALID_REQUEST_BODY", message, status=400)


def _not_found(message: str) -> SandboxError:
    return SandboxError("dedicated", "NOT_FOUND", message, status=404)


@dataclass(eq=False)  # replicas started together are still different replicas
class Replica:
    started_at: float
    active_at: float
    billed_until: float


@dataclass
class DedicatedEndpoint:
    id: str
    name: str
    description: str
    model_name: str
    flavor_name: str
    gpu_type: str
    gpu_count: int
    region: str
    min_replicas: int
    max_replicas: int
    enabled: bool
    created_at: float
    updated_at: float
    replicas: list[Replica] = field(default_factory=list)

    @property
    def routing_key(self) -> str:
        return f"{self.model_name}:{self.id}"

    def active(self, now: float) -> int:
        return sum(1 for r in self.replicas if r.active_at <= now)

    def status(self, now: float) -> str:
        if not self.enabled:
            return "stopped"
        if not self.replicas:
            return "sleeping"
        return "ready" if self.active(now) else "starting"


class DedicatedDomain:
    name = "dedicated"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.endpoints: dict[str, DedicatedEndpoint] = {}
        base = "/v0/dedicated_endpoints"
        self.routes = [
            Route(f"{base}/templates", self.templates, methods=["GET"]),
            Route(base, self.create, methods=["POST"]),
            Route(base, self.index, methods=["GET"]),
            Route(base + "/{endpoint_id}", self.get, methods=["GET"]),
            Route(base + "/{endpoint_id}", self.patch, methods=["PATCH"]),
            Route(base + "/{endpoint_id}", self.delete, methods=["DELETE"]),
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/v1/models", self.models, methods=["GET"]),
        ]

    # --- money -------------------------------------------------------------------------------
    def _hour_units(self, ep: DedicatedEndpoint) -> Decimal:
        """0.0001-USD units per hour of one active replica."""
        return DEDICATED_GPU_HOUR_USD[ep.gpu_type] * ep.gpu_count * UNITS_PER_USD

    def _bill(self, ep: DedicatedEndpoint, now: float, *, releasing: list[Replica] | None = None) -> None:
        minutes = 0
        for replica in ep.replicas:
            if replica.active_at > now:
                continue
            whole = int((now - replica.billed_until) // 60)
            if releasing is not None and replica in releasing:
                whole = math.ceil((now - replica.billed_until) / 60)
            minutes += whole
            replica.billed_until += whole * 60
        if minutes:
            self.state.charge(None, category="llm_dedicated_endpoint", product_name=ep.model_name,
                              amount_units=self._hour_units(ep) * minutes / 60, owner_id=ep.id, product_id=ep.gpu_type,
                              bill_num0=Decimal(minutes * ep.gpu_count),
                              unit_price0=DEDICATED_GPU_HOUR_USD[ep.gpu_type] * UNITS_PER_USD / 60)

    def settle(self, now: float) -> None:
        for ep in self.endpoints.values():
            self._bill(ep, now)

    def _release(self, ep: DedicatedEndpoint, replicas: list[Replica], now: float) -> None:
        self._bill(ep, now, releasing=replicas)
        ep.replicas = [r for r in ep.replicas if r not in replicas]

    def _start(self, ep: DedicatedEndpoint, count: int, now: float) -> None:
        for _ in range(count):
            ready = now + STARTUP_SECONDS
            ep.replicas.append(Replica(started_at=now, active_at=ready, billed_until=ready))

    def _require(self, usd_per_hour: Decimal) -> None:
        if self.state.balance_units + self.state.credit_limit_units < usd_per_hour * UNITS_PER_USD:
            raise SandboxError("dedicated", "NOT_ENOUGH_BALANCE", "not enough balance for one hour of the replicas",
                               status=403)

    # --- views -------------------------------------------------------------------------------
    def view(self, ep: DedicatedEndpoint) -> dict[str, Any]:
        now = self.state.now()
        active = ep.active(now)
        return {
            "id": ep.id, "name": ep.name, "description": ep.description, "model_name": ep.model_name,
            "flavor_name": ep.flavor_name, "gpu_type": ep.gpu_type, "gpu_count": ep.gpu_count, "region": ep.region,
            "scaling": {"min_replicas": ep.min_replicas, "max_replicas": ep.max_replicas}, "enabled": ep.enabled,
            "routing_key": ep.routing_key, "status": ep.status(now),
            "replicas": {"active": active, "starting": len(ep.replicas) - active},
            "created_at": int(ep.created_at), "updated_at": int(ep.updated_at),
        }

    def _find(self, endpoint_id: str) -> DedicatedEndpoint:
        ep = self.endpoints.get(endpoint_id)
        if ep is None:
            raise _not_found(f"dedicated endpoint {endpoint_id!r} not found")
        return ep

    @staticmethod
    def _scaling(raw: Any, current: tuple[int, int] | None = None) -> tuple[int, int]:
        if not isinstance(raw, dict):
            raise _bad("scaling must be an object {min_replicas, max_replicas}")
        lo = raw.get("min_replicas", current[0] if current else None)
        hi = raw.get("max_replicas", current[1] if current else None)
        if not isinstance(lo, int) or not isinstance(hi, int) or isinstance(lo, bool) or isinstance(hi, bool):
            raise _bad("scaling.min_replicas and scaling.max_replicas are required integers")
        if not 0 <= lo <= hi <= MAX_REPLICAS or hi < 1:
            raise _bad(f"need 0 <= min_replicas <= max_replicas <= {MAX_REPLICAS} and max_replicas >= 1")
        return lo, hi

    # --- control plane -------------------------------------------------------------------------
    async def templates(self, request: Request) -> JSONResponse:
        return JSONResponse({"templates": TEMPLATES})

    async def create(self, request: Request) -> JSONResponse:
        body = await _json(request)
        for key in ("name", "model_name", "flavor_name", "gpu_type", "gpu_count", "scaling"):
            if key not in body:
                raise _bad(f"{key} is required")
        name = body["name"]
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise _bad("name must be 1-100 characters")
        region = body.get("region") or "eu-north1"
        match = next((t for t in TEMPLATES if t["model_name"] == body["model_name"]
                      and t["flavor_name"] == body["flavor_name"] and t["gpu_type"] == body["gpu_type"]
                      and t["gpu_count"] == body["gpu_count"]), None)
        if match is None:
            raise _bad("no template offers this model_name / flavor_name / gpu_type / gpu_count; "
                       "see GET /v0/dedicated_endpoints/templates")
        if region not in match["regions"]:
            raise _bad(f"region {region!r} is not offered for this template; choose from {match['regions']}")
        lo, hi = self._scaling(body["scaling"])
        enabled = bool(body.get("enabled", True))
        self._require(DEDICATED_GPU_HOUR_USD[match["gpu_type"]] * match["gpu_count"] * lo if enabled else Decimal(0))
        now = self.state.now()
        ep = DedicatedEndpoint(id="de-" + secrets.token_hex(6), name=name,
                               description=str(body.get("description") or ""),
                               model_name=match["model_name"], flavor_name=match["flavor_name"],
                               gpu_type=match["gpu_type"], gpu_count=match["gpu_count"], region=region,
                               min_replicas=lo, max_replicas=hi, enabled=enabled, created_at=now, updated_at=now)
        if enabled:
            self._start(ep, lo, now)
        self.endpoints[ep.id] = ep
        return JSONResponse(self.view(ep))

    async def index(self, request: Request) -> JSONResponse:
        items = list(reversed(self.endpoints.values()))  # newest first
        return JSONResponse({"endpoints": [self.view(e) for e in items]})

    async def get(self, request: Request) -> JSONResponse:
        return JSONResponse(self.view(self._find(request.path_params["endpoint_id"])))

    async def patch(self, request: Request) -> JSONResponse:
        ep = self._find(request.path_params["endpoint_id"])
        body = await _json(request)
        frozen = sorted(set(body) & {"region", "model_name", "flavor_name", "gpu_type", "gpu_count"})
        if frozen:
            raise _bad(f"{', '.join(frozen)} cannot be changed; create a new endpoint instead")
        unknown = sorted(set(body) - {"name", "description", "scaling", "enabled"})
        if unknown:
            raise _bad(f"unknown field(s): {', '.join(unknown)}")
        lo, hi = self._scaling(body["scaling"], (ep.min_replicas, ep.max_replicas)) if "scaling" in body else (
            ep.min_replicas, ep.max_replicas)
        enabled = bool(body.get("enabled", ep.enabled))
        now = self.state.now()
        wanted = lo if enabled else 0
        if wanted > len(ep.replicas):
            self._require(DEDICATED_GPU_HOUR_USD[ep.gpu_type] * ep.gpu_count * wanted)
        if "name" in body:
            if not isinstance(body["name"], str) or not 1 <= len(body["name"]) <= 100:
                raise _bad("name must be 1-100 characters")
            ep.name = body["name"]
        if "description" in body:
            ep.description = str(body["description"] or "")
        ep.min_replicas, ep.max_replicas, ep.enabled, ep.updated_at = lo, hi, enabled, now
        if wanted > len(ep.replicas):
            self._start(ep, wanted - len(ep.replicas), now)
        elif wanted < len(ep.replicas):
            newest = sorted(ep.replicas, key=lambda r: r.started_at)[wanted:]
            self._release(ep, newest, now)
        return JSONResponse(self.view(ep))

    async def delete(self, request: Request) -> JSONResponse:
        ep = self._find(request.path_params["endpoint_id"])
        self._release(ep, list(ep.replicas), self.state.now())
        del self.endpoints[ep.id]
        return JSONResponse({})

    # --- data plane ----------------------------------------------------------------------------
    def _by_routing_key(self, key: Any) -> DedicatedEndpoint:
        for ep in self.endpoints.values():
            if ep.routing_key == key:
                return ep
        raise _not_found(f"model {key!r} not found: no dedicated endpoint has this routing key")

    async def models(self, request: Request) -> JSONResponse:
        now = self.state.now()
        data = [model_json(m) for m in CATALOGUE]
        data += [{"id": e.routing_key, "object": "model", "created": int(e.created_at), "owned_by": "dedicated"}
                 for e in self.endpoints.values() if e.status(now) == "ready"]
        return JSONResponse({"object": "list", "data": data})

    async def chat(self, request: Request) -> Response:
        body = await _json(request)
        model = body.get("model")
        if isinstance(model, str) and find_model(model) is not None and not any(
                e.routing_key == model for e in self.endpoints.values()):
            return await self.state.domains["llm"].chat(request)
        ep = self._by_routing_key(model)
        status = ep.status(self.state.now())
        if status != "ready":
            raise _not_found(f"dedicated endpoint {ep.id} is not ready (status {status})")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            raise _bad("messages must be a non-empty list of {role, content}")
        last = next((str(m.get("content") or "") for m in reversed(messages) if m.get("role") == "user"), "")
        words = f"{ep.name} ({ep.model_name}, dedicated) answers: {' '.join(last.split()[:60])}".split()
        limit = body.get("max_tokens")
        finish = "stop"
        if isinstance(limit, int) and 0 < limit < len(words):
            words, finish = words[:limit], "length"
        text = " ".join(words)
        prompt_tokens = sum(len(str(m.get("content") or "").split()) + 4 for m in messages)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(words),
                 "total_tokens": prompt_tokens + len(words)}
        completion_id = "chatcmpl-" + secrets.token_hex(12)
        created = int(self.state.now())
        if body.get("stream"):
            return StreamingResponse(_stream(completion_id, created, ep.routing_key, words, finish, usage),
                                     media_type="text/event-stream")
        return JSONResponse({
            "id": completion_id, "object": "chat.completion", "created": created, "model": ep.routing_key,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
            "usage": usage,
        })


async def _json(request: Request) -> dict[str, Any]:
    return await json_object(request, "dedicated")


async def _stream(completion_id: str, created: int, model: str, words: list[str], finish: str,
                  usage: dict[str, int]) -> AsyncIterator[str]:
    def chunk(delta: dict[str, Any], reason: str | None, extra: dict[str, Any] | None = None) -> str:
        payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": reason}], **(extra or {})}
        return f"data: {json.dumps(payload)}\n\n"

    yield chunk({"role": "assistant", "content": ""}, None)
    for i, word in enumerate(words):
        yield chunk({"content": word if i == 0 else " " + word}, None)
    yield chunk({}, finish, {"usage": usage})
    yield "data: [DONE]\n\n"
