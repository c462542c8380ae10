"""Toolset ``serverless``: serverless GPU endpoints and their async jobs (off by default).

Money: a worker costs its GPU product's hourly price (from ``/products``) × GPUs per worker, per
second while it exists - start-up and the idle timeout included. Creating or updating an
endpoint is quoted as ``min_workers`` × that price per hour (recurring, so always confirmed).
A job is quoted as its worst case: one extra worker for ``requestTimeout`` + ``freeTimeout``
seconds (small, so it usually runs without asking); its real cost is the worker time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from novita_mcp import ids
from novita_mcp.client.serverless import ServerlessEndpoint
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
from novita_mcp.tools._common import Deleted, Limit, MaxWait, Offset, Page, paged
from novita_mcp.tools._polling import wait_until
from novita_mcp.tools.serverless.jobs import (
    EndpointId,
    hourly_usd,
    product_price,
)

__all__ = [
    "list_serverless_endpoints",
    "get_serverless_endpoint",
    "wait_for_serverless_endpoint",
    "create_serverless_endpoint",
    "update_serverless_endpoint",
    "delete_serverless_endpoint",
]


class Worker(BaseModel):
    id: str
    state: str = Field(description="pulling (starting, billed) | running")
    healthy: bool


class EndpointView(BaseModel):
    id: str
    name: str
    app_name: str
    state: str = Field(description="deploying | serving")
    url: str = Field(description="Public URL of the endpoint's HTTP service (synchronous calls).")
    image: str
    product_id: str
    gpus_per_worker: int
    min_workers: int
    max_workers: int
    idle_timeout_seconds: int
    max_concurrent: int
    scaling: str = Field(description="queue (value = seconds a job may wait) | concurrency (value = queued jobs)")
    scaling_value: int
    workers_running: int
    workers_starting: int
    workers: list[Worker] = Field(description="At most 20 shown.")


def _view(ep: ServerlessEndpoint) -> EndpointView:
    wc = ep.worker_config
    return EndpointView(
        id=ep.id, name=ep.name, app_name=ep.app_name, state=ep.state, url=ep.url, image=ep.image,
        product_id=ep.product_ids[0] if ep.product_ids else "", gpus_per_worker=wc.gpu_num, min_workers=wc.min_num,
        max_workers=wc.max_num, idle_timeout_seconds=wc.free_timeout, max_concurrent=wc.max_concurrent,
        scaling=ep.policy.type, scaling_value=ep.policy.value,
        workers_running=sum(1 for w in ep.workers if w.state == "running"),
        workers_starting=sum(1 for w in ep.workers if w.state != "running"),
        workers=[Worker(id=w.id, state=w.state, healthy=w.healthy) for w in ep.workers[:20]],
    )


def _line(v: EndpointView) -> str:
    return (f"{v.name or v.id} ({v.id}): {v.state}, workers {v.workers_running} running/{v.workers_starting} "
            f"starting, min {v.min_workers} max {v.max_workers}, {v.gpus_per_worker} GPU(s) of product {v.product_id}")


# --- read -----------------------------------------------------------------------------------------
class EndpointList(BaseModel):
    endpoints: list[EndpointView]
    page: Page


@tool(title="List serverless endpoints", effects={Effect.READ})
async def list_serverless_endpoints(
    ctx: Context,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Reply[EndpointList]:
    """Serverless GPU endpoints with their state, worker counts and scaling settings, newest first."""
    serverless = services(ctx).client.serverless
    items, pg = await paged(lambda size, num: serverless.list(page_size=size, page_num=num), offset, limit)
    views = [_view(e) for e in items]
    text = "\n".join([f"{pg.total} serverless endpoint(s)."] + [f"- {_line(v)}" for v in views])
    return Reply(EndpointList(endpoints=views, page=pg), text)


@tool(title="Get a serverless endpoint", effects={Effect.READ})
async def get_serverless_endpoint(ctx: Context, endpoint_id: EndpointId) -> Reply[EndpointView]:
    """One serverless endpoint: state, URL, image, GPU product, scaling and its workers."""
    view = _view(await services(ctx).client.serverless.get(endpoint_id))
    return Reply(view, _line(view))


class EndpointWait(BaseModel):
    endpoint: EndpointView
    ready: bool = Field(description="True when serving with at least min_workers running.")
    message: str


def _ready(ep: ServerlessEndpoint) -> bool:
    running = sum(1 for w in ep.workers if w.state == "running")
    return ep.state == "serving" and running >= ep.worker_config.min_num


@tool(title="Wait for a serverless endpoint", effects={Effect.READ})
async def wait_for_serverless_endpoint(ctx: Context, endpoint_id: EndpointId,
                                       max_wait_seconds: MaxWait = 45) -> Reply[EndpointWait]:
    """Wait (bounded) until a serverless endpoint is serving with its minimum workers running.

    Sends progress while waiting. If it is not ready in time, returns ready=false: call again."""
    client = services(ctx).client

    def describe(ep: ServerlessEndpoint) -> str:
        running = sum(1 for w in ep.workers if w.state == "running")
        return f"{ep.state}, {running}/{ep.worker_config.min_num} minimum workers running"

    ep, ready = await wait_until(ctx, fetch=lambda: client.serverless.get(endpoint_id), done=_ready,
                                 describe=describe, max_wait=max_wait_seconds)
    message = (f"Endpoint {endpoint_id} is ready ({describe(ep)})." if ready else
               f"Endpoint {endpoint_id} is still {describe(ep)} - call wait_for_serverless_endpoint again.")
    return Reply(EndpointWait(endpoint=_view(ep), ready=ready, message=message), message)


# --- create / update / delete ---------------------------------------------------------------------
async def plan_create(app: Services, name: str, image: str, product_id: str, min_workers: int = 0,
                      max_workers: int = 1, gpus_per_worker: int = 1, port: int = 8000) -> Plan:
    # Checked here, before the user is asked: the plan always runs first.
    gpus, workers = gpus_per_worker, min_workers
    if max_workers < workers:
        raise ToolError(f"max_workers ({max_workers}) must be at least min_workers ({workers}). "
                        "Nothing was sent.")
    if 2222 <= port <= 2224:
        raise ToolError(f"port {port} is reserved (2222-2224); choose another. Nothing was sent.")
    product = await product_price(app, product_id)
    per_worker = hourly_usd(product, gpus, 1)

    async def find() -> str | None:
        endpoints, _ = await app.client.serverless.list(page_size=100)
        named = [e.id for e in endpoints if e.name == name]
        return named[-1] if named else None

    return Plan(
        action="Create a serverless endpoint",
        target=f"endpoint {shown(name)} running {shown(image)} on {shown(product.name)} (product "
               f"{shown_id(product.id)})",
        quote=Quote(hourly_usd(product, gpus, workers),
                    f"{workers} always-on worker(s) x {gpus} GPU(s) x {usd(product.usd_per_gpu_hour)}/GPU-hour; "
                    f"each extra worker that jobs start costs {usd(per_worker)}/hour, billed per second until "
                    "it has been idle for the idle timeout", "hour"),
        gpus=gpus * max(workers, max_workers),
        details=(f"Scales between {workers} and {max_workers} workers.",), facts=product,
        check=f"list_serverless_endpoints() for an endpoint named {shown(name)}", find=find,
    )


class Created(BaseModel):
    endpoint_id: str
    hourly_usd: Decimal = Field(description="Cost per hour of the always-on (minimum) workers.")
    message: str


@tool(title="Create a serverless endpoint", effects={Effect.BILLABLE}, plan=plan_create)
async def create_serverless_endpoint(
    ctx: Context,
    name: Annotated[str, Field(description="Endpoint name; also used in the async job URL.", min_length=1,
                               max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")],
    image: Annotated[str, Field(description="Container image of the worker, e.g. myrepo/worker:1.0.", min_length=1,
                                max_length=511)],
    product_id: Annotated[ids.ProductId, Field(description="GPU product id from list_gpu_products (e.g. '1' RTX 4090).")],
    min_workers: Annotated[int, Field(ge=0, le=20, description="Always-on workers (billed every hour). 0 = scale "
                                                              "to zero when idle.")] = 0,
    max_workers: Annotated[int, Field(ge=1, le=20, description="Most workers at once.")] = 1,
    gpus_per_worker: Annotated[int, Field(ge=1, le=8, description="GPUs in each worker.")] = 1,
    idle_timeout_seconds: Annotated[int, Field(ge=5, le=3600, description="An extra worker is released after "
                                                                          "this long idle (billed).")] = 300,
    max_concurrent: Annotated[int, Field(ge=1, le=100, description="Jobs one worker runs at once.")] = 1,
    scaling: Annotated[Literal["queue", "concurrency"], Field(description=(
        "queue: add a worker when a job would wait longer than scaling_value seconds; concurrency: when "
        "scaling_value jobs are queued."))] = "queue",
    scaling_value: Annotated[int, Field(ge=1, le=3600, description="Threshold for the scaling policy.")] = 60,
    port: Annotated[int, Field(ge=1, le=65535, description="The worker's HTTP port (not 2222-2224).")] = 8000,
    health_path: Annotated[str, Field(description="HTTP health-check path.", pattern=r"^/[^\s]*$",
                                      max_length=200)] = "/health",
    command: Annotated[str | None, Field(description="Overrides the image's start command.", max_length=2047)] = None,
    env: Annotated[dict[str, str] | None, Field(description="Environment variables (at most 30).",
                                                max_length=30)] = None,
    *,
    run: Run,
) -> Reply[Created]:
    """Create a serverless GPU endpoint that runs a container image on demand.

    Costs money every hour for min_workers, and per second for extra workers while jobs run.
    The user confirms the hourly price first."""
    app = services(ctx)
    product = run.plan.facts
    endpoint = {
        "name": name, "appName": name,
        "workerConfig": {"minNum": min_workers, "maxNum": max_workers, "freeTimeout": idle_timeout_seconds,
                         "maxConcurrent": max_concurrent, "gpuNum": gpus_per_worker},
        "ports": [{"port": str(port)}], "policy": {"type": scaling, "value": scaling_value},
        "image": {"image": image, "authId": "", "command": command or ""}, "products": [{"id": product_id}],
        "rootfsSize": 100, "volumeMounts": [{"type": "local", "size": 30, "mountPath": "/workspace"}],
        "clusterID": "", "envs": [{"key": k, "value": v} for k, v in (env or {}).items()],
        "healthy": {"path": health_path},
    }
    endpoint_id = await app.client.serverless.create(endpoint)
    hourly = hourly_usd(product, gpus_per_worker, min_workers)
    message = (f"Created serverless endpoint {name} ({endpoint_id}); {min_workers} always-on worker(s) cost "
               f"{usd(hourly)}/hour. Workers take about a minute to start: use wait_for_serverless_endpoint.")
    return Reply(Created(endpoint_id=endpoint_id, hourly_usd=hourly, message=message), message, resource_id=endpoint_id)


_CHANGEABLE = ("min_workers", "max_workers", "idle_timeout_seconds", "max_concurrent", "scaling", "scaling_value",
               "image")


def _full_config(ep: ServerlessEndpoint, changes: dict[str, Any]) -> dict[str, Any]:
    """The complete update body (the API replaces everything) from the current endpoint plus changes."""
    raw = ep.raw
    wc = ep.worker_config
    worker = {"minNum": wc.min_num, "maxNum": wc.max_num, "freeTimeout": wc.free_timeout,
              "maxConcurrent": wc.max_concurrent, "gpuNum": wc.gpu_num, "cudaVersion": wc.cuda_version}
    if wc.request_timeout:
        worker["requestTimeout"] = wc.request_timeout
    for arg, key in (("min_workers", "minNum"), ("max_workers", "maxNum"), ("idle_timeout_seconds", "freeTimeout"),
                     ("max_concurrent", "maxConcurrent")):
        if changes.get(arg) is not None:
            worker[key] = changes[arg]
    image = raw.get("image")
    image = dict(image[0] if isinstance(image, list) and image else image or {})
    if changes.get("image") is not None:
        image["image"] = changes["image"]
    return {
        "name": ep.name, "clusterID": ep.cluster_id, "workerConfig": worker,
        "ports": [{"port": str(p.get("port"))} for p in raw.get("ports") or []],
        "policy": {"type": changes.get("scaling") or ep.policy.type,
                   "value": changes.get("scaling_value") or ep.policy.value},
        "image": {"image": image.get("image", ""), "authId": image.get("authId", ""),
                  "command": image.get("command", "")},
        "products": [{"id": pid} for pid in ep.product_ids], "rootfsSize": raw.get("rootfsSize", 100),
        "volumeMounts": raw.get("volumeMounts") or [], "envs": raw.get("envs") or [],
        "healthy": raw.get("healthy") or {"path": "/health"},
    }


async def plan_update(app: Services, endpoint_id: str, min_workers: int | None = None,
                      max_workers: int | None = None, idle_timeout_seconds: int | None = None,
                      max_concurrent: int | None = None, scaling: str | None = None, scaling_value: int | None = None,
                      image: str | None = None) -> Plan:
    changes = {"min_workers": min_workers, "max_workers": max_workers, "idle_timeout_seconds": idle_timeout_seconds,
               "max_concurrent": max_concurrent, "scaling": scaling, "scaling_value": scaling_value, "image": image}
    if all(v is None for v in changes.values()):
        raise ToolError(f"Nothing to change: give at least one of {', '.join(_CHANGEABLE)}. Nothing was sent.")
    ep = await app.client.serverless.get(endpoint_id)
    product = await product_price(app, ep.product_ids[0] if ep.product_ids else "")
    gpus = max(ep.worker_config.gpu_num, 1)  # a missing count must not price the workers at $0
    old_min = ep.worker_config.min_num
    new_min = old_min if min_workers is None else min_workers
    new_max = ep.worker_config.max_num if max_workers is None else max_workers
    if new_max < new_min:
        raise ToolError(f"max_workers ({new_max}) must be at least min_workers ({new_min}). Nothing was sent.")
    # The quote is the endpoint's whole new always-on rate; it replaces the old one in the ledger (ends=).
    return Plan(
        action="Update a serverless endpoint" + (" (scale up)" if new_min > old_min else ""),
        target=f"serverless endpoint {shown(ep.name or ep.id)} ({shown_id(ep.id)})",
        quote=Quote(hourly_usd(product, gpus, new_min),
                    f"{new_min} always-on worker(s) (was {old_min}) x {gpus} GPU(s) x "
                    f"{usd(product.usd_per_gpu_hour)}/GPU-hour", "hour"),
        gpus=gpus * max(new_min, new_max),
        details=(f"Workers: min {old_min} -> {new_min}, max {ep.worker_config.max_num} -> {new_max}.",),
        facts=(ep, _full_config(ep, changes)), check=f"get_serverless_endpoint(endpoint_id='{ep.id}')", ends=ep.id,
    )


class Updated(BaseModel):
    endpoint: EndpointView
    hourly_usd: Decimal
    message: str


@tool(title="Update or scale a serverless endpoint", effects={Effect.BILLABLE}, plan=plan_update)
async def update_serverless_endpoint(
    ctx: Context,
    endpoint_id: EndpointId,
    min_workers: Annotated[int | None, Field(ge=0, le=20, description="New always-on worker count.")] = None,
    max_workers: Annotated[int | None, Field(ge=1, le=20, description="New most workers at once.")] = None,
    idle_timeout_seconds: Annotated[int | None, Field(ge=5, le=3600, description="New idle timeout.")] = None,
    max_concurrent: Annotated[int | None, Field(ge=1, le=100, description="New jobs per worker.")] = None,
    scaling: Annotated[Literal["queue", "concurrency"] | None, Field(description="New scaling policy.")] = None,
    scaling_value: Annotated[int | None, Field(ge=1, le=3600, description="New policy threshold.")] = None,
    image: Annotated[str | None, Field(description="New container image.", min_length=1, max_length=511)] = None,
    *,
    run: Run,
) -> Reply[Updated]:
    """Change a serverless endpoint's scaling or image; only the given fields change.

    Raising min_workers starts workers that are billed every hour; the user confirms the new
    hourly price first."""
    client = services(ctx).client
    _, config = run.plan.facts
    await client.serverless.update(endpoint_id, config)
    run.done(resource_id=endpoint_id)
    fresh = await client.serverless.get(endpoint_id)
    product = await product_price(services(ctx), fresh.product_ids[0] if fresh.product_ids else "")
    hourly = hourly_usd(product, fresh.worker_config.gpu_num, fresh.worker_config.min_num)
    message = f"Updated {fresh.name or fresh.id}: always-on workers now cost {usd(hourly)}/hour. {_line(_view(fresh))}"
    return Reply(Updated(endpoint=_view(fresh), hourly_usd=hourly, message=message), message, resource_id=endpoint_id)


async def plan_delete(app: Services, endpoint_id: str) -> Plan:
    ep = await app.client.serverless.get(endpoint_id)
    return Plan(
        action="Delete a serverless endpoint",
        target=f"serverless endpoint {shown(ep.name or ep.id)} ({shown_id(ep.id)}) with {len(ep.workers)} worker(s)",
        irreversible="the endpoint, its URL and all its workers are released (billing stops); queued and running "
                     "jobs are cancelled. It cannot be undone",
        check="list_serverless_endpoints()", ends=ep.id,
    )


@tool(title="Delete a serverless endpoint", effects={Effect.DESTRUCTIVE}, plan=plan_delete)
async def delete_serverless_endpoint(ctx: Context, endpoint_id: EndpointId) -> Reply[Deleted]:
    """Delete a serverless endpoint and release all its workers (stops its billing). Cannot be undone."""
    await services(ctx).client.serverless.delete(endpoint_id)
    message = f"Deleted serverless endpoint {endpoint_id}; its workers were released."
    return Reply(Deleted(resource_id=endpoint_id, message=message), message, resource_id=endpoint_id)
