"""The async job tools of the ``serverless`` toolset, and what they share with the endpoint tools.

A job is quoted as its worst case - one extra worker for ``requestTimeout`` + ``freeTimeout``
seconds at the endpoint's GPU price - which is usually under the auto-approve threshold, so
jobs run without asking; the real cost is the worker time the job causes (billed per second).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from novita_mcp import ids
from novita_mcp.client.serverless import GpuProductPrice, ServerlessEndpoint
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
from novita_mcp.tools._common import MaxWait
from novita_mcp.tools._polling import preview, wait_until

__all__ = ["EndpointId", "product_price", "hourly_usd", "run_serverless_job", "get_serverless_job",
           "cancel_serverless_job"]

EndpointId = ids.EndpointId
JobId = ids.JobId
MAX_INPUT_BYTES = 4 * 1024 * 1024
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"}


async def product_price(app: Services, product_id: str) -> GpuProductPrice:
    """A worker's GPU product with its price, as ``/products`` reports it (never from the model)."""
    products = await app.client.serverless.gpu_products()
    for p in products:
        if p.id == product_id:
            return p
    known = ", ".join(f"{p.id} ({p.name})" for p in products) or "none"
    raise ToolError(f"GPU product {product_id!r} does not exist. Choose one of: {known}. Nothing was sent.")


def hourly_usd(product: GpuProductPrice, gpus: int, workers: int) -> Decimal:
    """USD per hour of ``workers`` workers of ``gpus`` GPUs each."""
    return product.usd_per_gpu_hour * gpus * workers


# --- jobs -------------------------------------------------------------------------------------------
def _path_name(ep: ServerlessEndpoint) -> str:
    # The async URL is documented as /v1/{endpointName}/...: the endpoint's name, else its id.
    return ep.name or ep.id


# When the endpoint does not say (a missing field reads as 0), the defaults create_serverless_endpoint
# uses and the worst case Novita allows: an unknown timeout must never make a job look free.
_DEFAULT_REQUEST_TIMEOUT_S = 600
_DEFAULT_IDLE_TIMEOUT_S = 300


async def plan_run(app: Services, endpoint_id: str) -> Plan:
    ep = await app.client.serverless.get(endpoint_id)
    product = await product_price(app, ep.product_ids[0] if ep.product_ids else "")
    wc = ep.worker_config
    gpus = max(wc.gpu_num, 1)
    seconds = (wc.request_timeout or _DEFAULT_REQUEST_TIMEOUT_S) + (wc.free_timeout or _DEFAULT_IDLE_TIMEOUT_S)
    amount = hourly_usd(product, gpus, 1) * seconds / 3600
    return Plan(
        action="Run a job on a serverless endpoint",
        target=f"serverless endpoint {shown(ep.name or ep.id)} ({shown_id(ep.id)})",
        quote=Quote(amount, f"at most one extra worker for {seconds} s (request timeout + idle timeout) x "
                            f"{gpus} GPU(s) x {usd(product.usd_per_gpu_hour)}/GPU-hour; the actual cost is the "
                            "worker time the job really causes"),
        gpus=gpus, facts=ep, check=f"get_serverless_job(endpoint_id='{ep.id}', job_id=...) with the job id, if any",
    )


class JobView(BaseModel):
    endpoint_id: str
    job_id: str
    status: str = Field(description="IN_QUEUE | IN_PROGRESS | COMPLETED | FAILED | CANCELLED | TIMED_OUT "
                                    "(PENDING right after submission)")
    queued_ms: int = 0
    execution_ms: int = 0
    output: Any = Field(None, description="The job's output once COMPLETED (a truncated JSON string if large).")
    output_truncated: bool = False
    error: Any = None
    message: str = ""


def _job(endpoint_id: str, job: Any, message: str = "") -> JobView:
    output, cut = preview(job.output)
    return JobView(endpoint_id=endpoint_id, job_id=job.id, status=job.status, queued_ms=job.delay_ms,
                   execution_ms=job.execution_ms, output=output, output_truncated=cut, error=job.error,
                   message=message)


@tool(title="Run a serverless job", effects={Effect.BILLABLE}, plan=plan_run)
async def run_serverless_job(
    ctx: Context,
    endpoint_id: EndpointId,
    input: Annotated[dict[str, Any], Field(description="The job's input object, passed to the worker as 'input' "
                                                       "(at most 4 MiB of JSON).")],
    *,
    run: Run,
) -> Reply[JobView]:
    """Submit an async job to a serverless endpoint; returns its job id at once.

    Then use get_serverless_job (it can wait) to see IN_QUEUE -> IN_PROGRESS -> COMPLETED and the output."""
    if len(json.dumps(input, default=str).encode()) > MAX_INPUT_BYTES:
        raise ToolError("input is larger than 4 MiB of JSON; pass a URL to the data instead. Nothing was sent.")
    client = services(ctx).client
    ep = run.plan.facts
    job = await client.serverless.run(_path_name(ep), input)
    message = f"Job {job.id} submitted to {ep.name or ep.id} ({job.status}). Follow it with get_serverless_job."
    return Reply(_job(endpoint_id, job, message), message, resource_id=job.id)


@tool(title="Get a serverless job", effects={Effect.READ})
async def get_serverless_job(ctx: Context, endpoint_id: EndpointId, job_id: JobId,
                             max_wait_seconds: MaxWait = 0) -> Reply[JobView]:
    """Status and output of an async serverless job; can wait (bounded) for it to finish."""
    client = services(ctx).client
    ep = await client.serverless.get(endpoint_id)
    name = _path_name(ep)
    job, finished = await wait_until(ctx, fetch=lambda: client.serverless.job(name, job_id),
                                     done=lambda j: j.status in TERMINAL, describe=lambda j: f"job {j.status}",
                                     max_wait=max_wait_seconds)
    message = (f"Job {job_id}: {job.status}." if finished else
               f"Job {job_id} is still {job.status} - call get_serverless_job again (max_wait_seconds up to 50).")
    return Reply(_job(endpoint_id, job, message), message)


async def plan_cancel(app: Services, endpoint_id: str, job_id: str) -> Plan:
    ep = await app.client.serverless.get(endpoint_id)
    return Plan(action="Cancel a serverless job",
                target=f"job {shown_id(job_id)} on endpoint {shown(ep.name or ep.id)} ({shown_id(ep.id)})",
                irreversible="the job stops and its output will never be produced; it cannot be resumed", facts=ep,
                check=f"get_serverless_job(endpoint_id='{ep.id}', job_id='{job_id}')")


@tool(title="Cancel a serverless job", effects={Effect.DESTRUCTIVE}, plan=plan_cancel)
async def cancel_serverless_job(ctx: Context, endpoint_id: EndpointId, job_id: JobId, *,
                                run: Run) -> Reply[JobView]:
    """Cancel a queued or running async job on a serverless endpoint."""
    client = services(ctx).client
    ep = run.plan.facts
    job = await client.serverless.cancel(_path_name(ep), job_id)
    message = f"Job {job_id}: {job.status}."
    return Reply(_job(endpoint_id, job, message), message, resource_id=job_id)


