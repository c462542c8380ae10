"""Toolset ``dedicated``: dedicated LLM endpoints (REFERENCE.md §8.3), off by default.

Money: an active replica costs ``gpu_count`` × the GPU type's hourly price, billed per active
GPU-minute (start-up and shutdown excluded). The API returns no price, so quotes come from
``novita_mcp.pricing.platform`` - the same table the sandbox charges by. Creating and scaling are
quoted as ``min_replicas`` × that price per hour (recurring, so always confirmed).
Inference: ``chat`` (LLM toolset) with the endpoint's routing key, or any OpenAI-compatible
client at ``NOVITA_DEDICATED_BASE_URL`` + ``/v1`` with ``model`` = the routing key.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, get_args

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from novita_mcp import ids
from novita_mcp.client.dedicated import DedicatedEndpoint
from novita_mcp.pricing.platform import (
    DEDICATED_GPU_HOUR_USD,
    DEDICATED_GPU_TYPES,
    dedicated_hourly_usd,
)
from novita_mcp.toolkit import (
    Context,
    Effect,
    Plan,
    Quote,
    Reply,
    Run,
    Services,
    services,
    shown,
    shown_id,
    tool,
    usd,
)
from novita_mcp.tools._common import Deleted, MaxWait
from novita_mcp.tools._polling import wait_until

__all__ = [
    "list_dedicated_templates",
    "list_dedicated_endpoints",
    "get_dedicated_endpoint",
    "wait_for_dedicated_endpoint",
    "create_dedicated_endpoint",
    "scale_dedicated_endpoint",
    "delete_dedicated_endpoint",
]

GpuType = Literal["gpu-h100-sxm", "gpu-h200-sxm", "gpu-rtx4090"]
assert set(get_args(GpuType)) == set(DEDICATED_GPU_TYPES), "GpuType must list the price table's GPU types"
Region = Literal["eu-north1", "eu-west1", "us-central1"]

EndpointId = ids.EndpointId
Replicas = Annotated[int, Field(ge=0, le=10, description="Replicas always running (billed hourly); 0 = asleep.")]
MaxReplicas = Annotated[int, Field(ge=1, le=10, description="Most replicas when traffic grows.")]


class EndpointView(BaseModel):
    id: str
    name: str
    model_name: str
    flavor: str
    gpu_type: str
    gpu_count: int = Field(description="GPUs per replica.")
    region: str
    min_replicas: int
    max_replicas: int
    status: str = Field(description="starting | ready | sleeping (0 replicas) | stopped")
    active_replicas: int
    starting_replicas: int
    routing_key: str = Field(description="Pass as 'model' to /v1/chat/completions (or chat's dedicated option).")
    hourly_usd: Decimal = Field(description="Cost per hour of the minimum replicas once active.")


def _view(ep: DedicatedEndpoint) -> EndpointView:
    price = DEDICATED_GPU_HOUR_USD.get(ep.gpu_type)
    hourly = dedicated_hourly_usd(ep.gpu_type, ep.gpu_count, ep.scaling.min_replicas) if price else Decimal(0)
    return EndpointView(id=ep.id, name=ep.name, model_name=ep.model_name, flavor=ep.flavor_name, gpu_type=ep.gpu_type,
                        gpu_count=ep.gpu_count, region=ep.region, min_replicas=ep.scaling.min_replicas,
                        max_replicas=ep.scaling.max_replicas, status=ep.status, active_replicas=ep.replicas.active,
                        starting_replicas=ep.replicas.starting, routing_key=ep.routing_key, hourly_usd=hourly)


def _line(v: EndpointView) -> str:
    return (f"{v.name} ({v.id}): {v.status}, {v.model_name} on {v.min_replicas}-{v.max_replicas} x {v.gpu_count} "
            f"{v.gpu_type}, {usd(v.hourly_usd)}/hour, routing key {v.routing_key}")


# --- read -----------------------------------------------------------------------------------------
class Template(BaseModel):
    model_name: str
    flavor: str
    gpu_type: str
    gpu_count: int
    regions: list[str]
    usd_per_replica_hour: Decimal


class Templates(BaseModel):
    templates: list[Template]


@tool(title="List dedicated endpoint templates", effects={Effect.READ})
async def list_dedicated_templates(
    ctx: Context,
    model: Annotated[str | None, Field(description="Filter: part of the model name.", max_length=200)] = None,
) -> Reply[Templates]:
    """The deployable combinations for a dedicated endpoint (model, flavor, GPU type and count, regions),
    with the price of one replica per hour."""
    items = await services(ctx).client.dedicated.templates()
    wanted = (model or "").lower()
    rows = [Template(model_name=t.model_name, flavor=t.flavor_name, gpu_type=t.gpu_type, gpu_count=t.gpu_count,
                     regions=t.regions, usd_per_replica_hour=dedicated_hourly_usd(t.gpu_type, t.gpu_count, 1))
            for t in items[:100] if wanted in t.model_name.lower() and t.gpu_type in DEDICATED_GPU_HOUR_USD]
    text = "\n".join([f"{len(rows)} template(s)."] + [
        f"- {t.model_name} [{t.flavor}] {t.gpu_count} x {t.gpu_type}: {usd(t.usd_per_replica_hour)}/replica-hour "
        f"({', '.join(t.regions)})" for t in rows[:30]])
    return Reply(Templates(templates=rows), text)


class EndpointList(BaseModel):
    endpoints: list[EndpointView]
    total: int


@tool(title="List dedicated endpoints", effects={Effect.READ})
async def list_dedicated_endpoints(
    ctx: Context, limit: Annotated[int, Field(ge=1, le=100, description="Most endpoints to return.")] = 50,
) -> Reply[EndpointList]:
    """Dedicated endpoints with status, replicas, hourly cost and routing key, newest first."""
    items = await services(ctx).client.dedicated.list()
    views = [_view(e) for e in items[:limit]]
    text = "\n".join([f"{len(items)} dedicated endpoint(s)."] + [f"- {_line(v)}" for v in views])
    return Reply(EndpointList(endpoints=views, total=len(items)), text)


@tool(title="Get a dedicated endpoint", effects={Effect.READ})
async def get_dedicated_endpoint(ctx: Context, endpoint_id: EndpointId) -> Reply[EndpointView]:
    """One dedicated endpoint: status, replicas, hourly cost and the routing key to chat with it."""
    view = _view(await services(ctx).client.dedicated.get(endpoint_id))
    return Reply(view, _line(view))


class EndpointWait(BaseModel):
    endpoint: EndpointView
    ready: bool
    message: str


@tool(title="Wait for a dedicated endpoint", effects={Effect.READ})
async def wait_for_dedicated_endpoint(ctx: Context, endpoint_id: EndpointId,
                                      max_wait_seconds: MaxWait = 45) -> Reply[EndpointWait]:
    """Wait (bounded) until a dedicated endpoint is ready to answer (start-up takes 10-15 minutes).

    Sends progress while waiting. If it is not ready in time, returns ready=false: call again."""
    client = services(ctx).client

    def describe(ep: DedicatedEndpoint) -> str:
        return f"{ep.status}, {ep.replicas.active} replica(s) active, {ep.replicas.starting} starting"

    ep, ready = await wait_until(ctx, fetch=lambda: client.dedicated.get(endpoint_id),
                                 done=lambda e: e.status == "ready", describe=describe, max_wait=max_wait_seconds)
    message = (f"Endpoint {endpoint_id} is ready; chat with model {ep.routing_key!r}." if ready else
               f"Endpoint {endpoint_id} is still {describe(ep)} - call wait_for_dedicated_endpoint again.")
    return Reply(EndpointWait(endpoint=_view(ep), ready=ready, message=message), message)


# --- create / scale / delete ----------------------------------------------------------------------
async def plan_create(app: Services, name: str, model_name: str, gpu_type: str, gpu_count: int,
                      flavor: str = "base", min_replicas: int = 1, max_replicas: int = 2,
                      region: str | None = None) -> Plan:
    model, count, lo, hi = model_name, gpu_count, min_replicas, max_replicas
    if hi < lo:
        raise ToolError(f"max_replicas ({hi}) must be at least min_replicas ({lo}). Nothing was sent.")
    templates = await app.client.dedicated.templates()
    if not any(t.model_name == model and t.flavor_name == flavor and t.gpu_type == gpu_type and t.gpu_count == count
               for t in templates):
        offers = [f"{t.flavor_name} {t.gpu_count} x {t.gpu_type}" for t in templates if t.model_name == model]
        hint = f"For {model}: {'; '.join(offers)}." if offers else "See list_dedicated_templates for the models."
        raise ToolError(f"No template offers {shown(model)} [{flavor}] on {count} x {gpu_type}. {hint} Nothing was "
                        "created.")

    async def find() -> str | None:
        named = [e.id for e in await app.client.dedicated.list() if e.name == name]
        return named[-1] if named else None

    return Plan(
        action="Create a dedicated endpoint",
        target=f"dedicated endpoint {shown(name)} serving {shown(model)} [{flavor}] in {region or 'eu-north1'}",
        quote=Quote(dedicated_hourly_usd(gpu_type, count, lo),
                    f"{lo} replica(s) x {count} {gpu_type} x {usd(DEDICATED_GPU_HOUR_USD[gpu_type])}/GPU-hour, billed "
                    f"per active GPU-minute (start-up excluded); up to {hi} replica(s) under load", "hour"),
        gpus=count * hi, check=f"list_dedicated_endpoints() for an endpoint named {shown(name)}", find=find,
    )


@tool(title="Create a dedicated endpoint", effects={Effect.BILLABLE}, plan=plan_create)
async def create_dedicated_endpoint(
    ctx: Context,
    name: Annotated[str, Field(description="Endpoint name.", min_length=1, max_length=100)],
    model_name: Annotated[str, Field(description="Model from list_dedicated_templates, e.g. openai/gpt-oss-120b.",
                                     min_length=1, max_length=200)],
    gpu_type: Annotated[GpuType, Field(description="GPU type of each replica (must match a template).")],
    gpu_count: Annotated[int, Field(ge=1, le=8, description="GPUs per replica (must match a template).")],
    flavor: Annotated[Literal["base", "fast"], Field(description="base or fast (lower latency).")] = "base",
    min_replicas: Replicas = 1,
    max_replicas: MaxReplicas = 2,
    region: Annotated[Region | None, Field(description="Region (default eu-north1); cannot change later.")] = None,
    description: Annotated[str | None, Field(description="Free text.", max_length=500)] = None,
) -> Reply[EndpointView]:
    """Deploy a model on dedicated GPUs behind an OpenAI-compatible routing key.

    Costs money every hour for min_replicas once they are up; the user confirms the hourly price
    first. Start-up takes 10-15 minutes: follow it with wait_for_dedicated_endpoint."""
    ep = await services(ctx).client.dedicated.create(
        name=name, model_name=model_name, flavor_name=flavor, gpu_type=gpu_type, gpu_count=gpu_count,
        min_replicas=min_replicas, max_replicas=max_replicas, region=region, description=description)
    view = _view(ep)
    text = f"Created {_line(view)}. Start-up takes 10-15 minutes; use wait_for_dedicated_endpoint."
    return Reply(view, text, resource_id=ep.id)


async def plan_scale(app: Services, endpoint_id: str, min_replicas: int | None = None,
                     max_replicas: int | None = None) -> Plan:
    if min_replicas is None and max_replicas is None:
        raise ToolError("Nothing to change: give min_replicas and/or max_replicas. Nothing was sent.")
    ep = await app.client.dedicated.get(endpoint_id)
    old_lo, old_hi = ep.scaling.min_replicas, ep.scaling.max_replicas
    lo = old_lo if min_replicas is None else min_replicas
    hi = old_hi if max_replicas is None else max_replicas
    if hi < lo:
        raise ToolError(f"max_replicas ({hi}) must be at least min_replicas ({lo}). Nothing was sent.")
    if ep.gpu_type not in DEDICATED_GPU_HOUR_USD:
        raise ToolError(f"No price is known for GPU type {ep.gpu_type!r}. Nothing was sent.")
    gpus = max(ep.gpu_count, 1)  # a missing count must not price the endpoint at $0
    # The quote is the endpoint's whole new rate; it replaces the old one in the ledger (ends=).
    return Plan(
        action="Scale a dedicated endpoint" + (" up" if lo > old_lo else ""),
        target=f"dedicated endpoint {shown(ep.name)} ({shown_id(ep.id)})",
        quote=Quote(dedicated_hourly_usd(ep.gpu_type, gpus, lo),
                    f"{lo} replica(s) (was {old_lo}) x {gpus} {ep.gpu_type} x "
                    f"{usd(DEDICATED_GPU_HOUR_USD[ep.gpu_type])}/GPU-hour", "hour"),
        gpus=gpus * hi,
        details=(f"Replicas: min {old_lo} -> {lo}, max {old_hi} -> {hi}.",),
        facts=ep, check=f"get_dedicated_endpoint(endpoint_id='{ep.id}')", ends=ep.id,
    )


@tool(title="Scale a dedicated endpoint", effects={Effect.BILLABLE}, plan=plan_scale)
async def scale_dedicated_endpoint(
    ctx: Context,
    endpoint_id: EndpointId,
    min_replicas: Annotated[int | None, Field(ge=0, le=10, description="New always-running replicas.")] = None,
    max_replicas: Annotated[int | None, Field(ge=1, le=10, description="New most replicas.")] = None,
    *,
    run: Run,
) -> Reply[EndpointView]:
    """Change how many replicas a dedicated endpoint keeps; new replicas take 10-15 minutes to start.

    The user confirms the new hourly price first."""
    client = services(ctx).client
    current = run.plan.facts
    lo = current.scaling.min_replicas if min_replicas is None else min_replicas
    hi = current.scaling.max_replicas if max_replicas is None else max_replicas
    ep = await client.dedicated.update(endpoint_id, scaling={"min_replicas": lo, "max_replicas": hi})
    view = _view(ep)
    return Reply(view, f"Scaled: {_line(view)}.", resource_id=endpoint_id)


async def plan_delete(app: Services, endpoint_id: str) -> Plan:
    ep = await app.client.dedicated.get(endpoint_id)
    return Plan(
        action="Delete a dedicated endpoint",
        target=f"dedicated endpoint {shown(ep.name)} ({shown_id(ep.id)}) serving {shown(ep.model_name)}, routing key "
               f"{shown(ep.routing_key)}",
        irreversible=f"its {ep.replicas.active + ep.replicas.starting} reserved replica(s) are released and the "
                     "routing key stops answering; the endpoint is deleted permanently and cannot be undone",
        check="list_dedicated_endpoints()", ends=ep.id,
    )


@tool(title="Delete a dedicated endpoint", effects={Effect.DESTRUCTIVE}, plan=plan_delete)
async def delete_dedicated_endpoint(ctx: Context, endpoint_id: EndpointId) -> Reply[Deleted]:
    """Delete a dedicated endpoint: releases its reserved replicas (billing stops). Cannot be undone."""
    await services(ctx).client.dedicated.delete(endpoint_id)
    message = f"Deleted dedicated endpoint {endpoint_id}; its replicas were released."
    return Reply(Deleted(resource_id=endpoint_id, message=message), message, resource_id=endpoint_id)
