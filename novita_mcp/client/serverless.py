"""Serverless GPU endpoints (REFERENCE.md §7): control plane and async jobs.

The control plane is under ``/gpu-instance/openapi/v1``. Async jobs go to the RunPod-compatible
data plane documented at ``https://async.novita.ai/v1/{endpointName}/...``; against any other base
URL (the sandbox, a proxy) the same paths are sent to the base URL itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from pydantic import Field, field_validator

from novita_mcp.client._http import HTTPCore
from novita_mcp.client._models import APIModel, LooseInt, LooseStr
from novita_mcp.ids import ENDPOINT, ENDPOINT_NAME, JOB, check_id, segment

__all__ = [
    "ServerlessAPI",
    "ServerlessLimits",
    "ServerlessEndpoint",
    "WorkerConfig",
    "ScalingPolicy",
    "ServerlessWorker",
    "ServerlessJob",
    "GpuProductPrice",
    "async_base_url",
    "PRODUCT_PRICE_PER_USD",
]

PRODUCT_PRICE_PER_USD = Decimal(100_000)  # GPU product prices are 1/100000 USD per GPU-hour (§1.4)
NOVITA_HOST = "api.novita.ai"
ASYNC_BASE = "https://async.novita.ai"


def async_base_url(base_url: str) -> str:
    """Where async jobs go: Novita's async host for the public API, else the base URL itself."""
    return ASYNC_BASE if httpx.URL(base_url).host == NOVITA_HOST else base_url.rstrip("/")


def _first(value: Any) -> Any:
    """An object, or an older docs revision's array of one object."""
    if isinstance(value, list):
        return value[0] if value else {}
    return value if value is not None else {}


class ServerlessLimits(APIModel):
    min_worker_num: LooseInt = Field(0, alias="minWorkerNum")
    max_worker_num: LooseInt = Field(0, alias="maxWorkerNum")
    min_free_timeout: LooseInt = Field(0, alias="minFreeTimeout")
    max_free_timeout: LooseInt = Field(0, alias="maxFreeTimeout")
    min_concurrency_num: LooseInt = Field(0, alias="minConcurrencyNum")
    max_concurrency_num: LooseInt = Field(0, alias="maxConcurrencyNum")
    min_queue_wait_time: LooseInt = Field(0, alias="minQueueWaitTime")
    max_queue_wait_time: LooseInt = Field(0, alias="maxQueueWaitTime")
    min_request_num: LooseInt = Field(0, alias="minRequestNum")
    max_request_num: LooseInt = Field(0, alias="maxRequestNum")
    min_gpu_num: LooseInt = Field(0, alias="minGPUNum")
    max_gpu_num: LooseInt = Field(0, alias="maxGPUNum")
    cuda_versions: list[str] = Field(default_factory=list, alias="cudaVersionList")


class WorkerConfig(APIModel):
    min_num: LooseInt = Field(0, alias="minNum")
    max_num: LooseInt = Field(0, alias="maxNum")
    free_timeout: LooseInt = Field(0, alias="freeTimeout")
    max_concurrent: LooseInt = Field(1, alias="maxConcurrent")
    gpu_num: LooseInt = Field(1, alias="gpuNum")
    request_timeout: LooseInt = Field(0, alias="requestTimeout")
    cuda_version: LooseStr = Field("", alias="cudaVersion")


class ScalingPolicy(APIModel):
    type: LooseStr = ""
    value: LooseInt = 0


class ServerlessWorker(APIModel):
    id: LooseStr = ""
    state: LooseStr = ""
    healthy: bool = False

    @field_validator("state", mode="before")
    @classmethod
    def _state(cls, value: Any) -> Any:
        return value.get("state", "") if isinstance(value, dict) else value


class ServerlessEndpoint(APIModel):
    id: LooseStr = ""
    name: LooseStr = ""
    app_name: LooseStr = Field("", alias="appName")
    url: LooseStr = ""
    state: LooseStr = ""
    state_message: LooseStr = ""
    worker_config: WorkerConfig = Field(default_factory=WorkerConfig, alias="workerConfig")
    policy: ScalingPolicy = Field(default_factory=ScalingPolicy)
    image: LooseStr = ""
    product_ids: list[str] = Field(default_factory=list, alias="products")
    workers: list[ServerlessWorker] = Field(default_factory=list)
    cluster_id: LooseStr = Field("", alias="clusterID")
    raw: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @classmethod
    def parse(cls, body: Any) -> ServerlessEndpoint:
        data = dict(body) if isinstance(body, dict) else {}
        state = data.get("state")
        if isinstance(state, dict):
            data["state"] = state.get("state", "")
            data["state_message"] = state.get("message") or state.get("error") or ""
        data["workerConfig"] = _first(data.get("workerConfig"))
        data["policy"] = _first(data.get("policy"))
        image = _first(data.get("image"))
        data["image"] = image.get("image", "") if isinstance(image, dict) else image
        data["products"] = [str(p.get("id", "")) for p in data.get("products") or [] if isinstance(p, dict)]
        data["raw"] = dict(body) if isinstance(body, dict) else {}
        return cls.model_validate(data)


class ServerlessJob(APIModel):
    id: LooseStr = ""
    status: LooseStr = ""
    delay_ms: LooseInt = Field(0, alias="delayTime")
    execution_ms: LooseInt = Field(0, alias="executionTime")
    worker_id: LooseStr = Field("", alias="workerId")
    output: Any = None
    error: Any = None


class GpuProductPrice(APIModel):
    id: LooseStr = ""
    name: LooseStr = ""
    price: LooseInt = 0

    @property
    def usd_per_gpu_hour(self) -> Decimal:
        return Decimal(self.price) / PRODUCT_PRICE_PER_USD


class ServerlessAPI:
    """``client.serverless``: endpoints (control plane) and their async jobs."""

    BASE = "/gpu-instance/openapi/v1"

    def __init__(self, http: HTTPCore, *, async_base: str) -> None:
        self._http = http
        self.async_base = async_base.rstrip("/")
        http.trust_origin(self.async_base)

    async def limits(self) -> ServerlessLimits:
        return ServerlessLimits.model_validate(await self._http.request("GET", f"{self.BASE}/endpoint/limit"))

    async def gpu_products(self) -> list[GpuProductPrice]:
        """The GPU products a worker can run on, with their hourly price per GPU."""
        body = await self._http.request("GET", f"{self.BASE}/products")
        return [GpuProductPrice.model_validate(p) for p in body.get("data") or []]

    async def create(self, endpoint: dict[str, Any]) -> str:
        """Create from a full ``endpoint`` object (REFERENCE.md §7.2); returns the new id."""
        body = await self._http.request("POST", f"{self.BASE}/endpoint/create", json_body={"endpoint": endpoint})
        return str(body.get("id") or "")

    async def list(self, *, page_size: int = 10, page_num: int = 0) -> tuple[list[ServerlessEndpoint], int]:
        body = await self._http.request("GET", f"{self.BASE}/endpoints",
                                        params={"pageSize": page_size, "pageNum": page_num})
        items = [ServerlessEndpoint.parse(e) for e in body.get("endpoints") or []]
        return items, int(body.get("total") or len(items))

    async def get(self, endpoint_id: str) -> ServerlessEndpoint:
        body = await self._http.request("GET", f"{self.BASE}/endpoint", params={"id": check_id(ENDPOINT, endpoint_id)})
        return ServerlessEndpoint.parse(body.get("endpoint", body) if isinstance(body, dict) else {})

    async def update(self, endpoint_id: str, config: dict[str, Any]) -> None:
        """Replace the configuration: the API wants every field in full (§7.4)."""
        await self._http.request("POST", f"{self.BASE}/endpoint/update", json_body={"id": endpoint_id, **config})

    async def delete(self, endpoint_id: str) -> None:
        # The documented key is "name", although the value is the endpoint id (§7.5).
        await self._http.request("POST", f"{self.BASE}/endpoint/delete", json_body={"name": endpoint_id})

    # --- async jobs ------------------------------------------------------------------------------
    async def run(self, endpoint_name: str, payload: Any) -> ServerlessJob:
        body = await self._http.request("POST", f"/v1/{segment(ENDPOINT_NAME, endpoint_name)}/run", json_body={"input": payload},
                                        base_url=self.async_base)
        return ServerlessJob.model_validate(body)

    async def job(self, endpoint_name: str, job_id: str) -> ServerlessJob:
        body = await self._http.request("GET", f"/v1/{segment(ENDPOINT_NAME, endpoint_name)}/status/{segment(JOB, job_id)}", base_url=self.async_base)
        return ServerlessJob.model_validate(body)

    async def cancel(self, endpoint_name: str, job_id: str) -> ServerlessJob:
        # The docs show GET; a cancel is safe to repeat, so GET's retries are harmless.
        body = await self._http.request("GET", f"/v1/{segment(ENDPOINT_NAME, endpoint_name)}/cancel/{segment(JOB, job_id)}", base_url=self.async_base)
        return ServerlessJob.model_validate(body)

