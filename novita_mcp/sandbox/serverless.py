"""Serverless GPU endpoints (Novita docs: serverless-* pages): control plane and the async job API.

Control plane, under ``/gpu-instance/openapi/v1`` (GPU family: errors are 400 with a reason):
``GET /endpoint/limit``, ``POST /endpoint/create``, ``GET /endpoints``, ``GET /endpoint?id=``,
``POST /endpoint/update`` (flat body, everything in full), ``POST /endpoint/delete``
(``{"name": <endpoint id>}``, the docs' odd key). ``workerConfig``/``policy``/``image`` are
accepted as an object or as an array of one object (an older docs revision), numbers as numbers
or numeric strings; responses use the docs template's types (``freeTimeout``, ``maxConcurrent``
and ``policy.value`` as strings, ``clusterID`` with a capital ID).

Async data plane: Novita documents ``https://async.novita.ai/v1/{endpointName}/run`` etc.
(RunPod-compatible). The sandbox serves that path shape under its own base URL:
``POST /v1/{endpointName}/run`` → ``{"id", "status": "PENDING"}`` (the docs' answer to run),
``GET /v1/{endpointName}/status/{job_id}`` → RunPod job with ``IN_QUEUE`` → ``IN_PROGRESS`` →
``COMPLETED`` (or ``CANCELLED``), ``GET|POST /v1/{endpointName}/cancel/{job_id}`` (the docs
show GET, a third-party CLI POST), ``GET /v1/{endpointName}/stats``. ``endpointName`` may be the
endpoint's name, appName or id. Those paths fall in the "dedicated" error family (``/v1/``):
401 UNAUTHORIZED without a key, 404 NOT_FOUND for an unknown endpoint or job.

Money: each worker is billed per second, from allocation to release, at its GPU product's
price × ``gpuNum`` (category "serverless", ``ownerID`` = endpoint id). The product price comes
from the GPU product catalogue (the GPU domain when present, else ``FALLBACK_PRODUCTS``).
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from novita_mcp.sandbox.errors import SandboxError, json_object
from novita_mcp.sandbox.serverless_workers import JOB_SECONDS, WORKER_BOOT_SECONDS, Pool
from novita_mcp.sandbox.state import SandboxState

__all__ = ["ServerlessDomain", "LIMITS", "FALLBACK_PRODUCTS"]

BASE = "/gpu-instance/openapi/v1"

LIMITS: dict[str, Any] = {
    "minRootfsSize": 10, "maxRootfsSize": 500, "freeRootfsSize": 100,
    "minLocalVolumeSize": 10, "maxLocalVolumeSize": 500, "freeLocalVolumeSize": 30,
    "minWorkerNum": 0, "maxWorkerNum": 20, "minFreeTimeout": 5, "maxFreeTimeout": 3600,
    "minConcurrencyNum": 1, "maxConcurrencyNum": 100, "minQueueWaitTime": 1, "maxQueueWaitTime": 3600,
    "minRequestNum": 1, "maxRequestNum": 100, "minGPUNum": 1, "maxGPUNum": 8,
    "cudaVersionList": ["11.8", "12.1", "12.4", "12.6"],
}

# Used only when the GPU catalogue domain is absent (same ids, names and prices as its RTX 4090
# and H100 products, the two GPU types the async serverless guide names; 1/100000 USD per GPU-hour).
FALLBACK_PRODUCTS: dict[str, dict[str, Any]] = {
    "1": {"id": "1", "name": "RTX 4090 24GB", "price": 35_000},
    "4": {"id": "4", "name": "H100 SXM 80GB", "price": 199_000},
}


_PRECISION = Decimal("1e-12")


def _gpu(reason: str, message: str) -> SandboxError:
    return SandboxError("gpu", reason, message)


def _one(value: Any, name: str) -> dict[str, Any]:
    """An object, or an array of one object (older docs revision)."""
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    if not isinstance(value, dict):
        raise _gpu("VALIDATOR_PARAM", f"{name} must be an object")
    return value


def _int(body: dict[str, Any], key: str, name: str, low: int, high: int, default: int | None = None) -> int:
    raw = body.get(key, default)
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise _gpu("VALIDATOR_PARAM", f"{name} must be an integer") from None
    if not low <= value <= high:
        raise _gpu("VALIDATOR_PARAM", f"{name} must be between {low} and {high}, got {value}")
    return value


class Endpoint:
    def __init__(self, id: str, created_at: float, config: dict[str, Any], pool: Pool) -> None:
        self.id = id
        self.created_at = created_at
        self.config = config
        self.pool = pool


class ServerlessDomain:
    name = "serverless"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.endpoints: dict[str, Endpoint] = {}
        self.routes = [
            Route(f"{BASE}/endpoint/limit", self.limit, methods=["GET"]),
            Route(f"{BASE}/endpoint/create", self.create, methods=["POST"]),
            Route(f"{BASE}/endpoints", self.index, methods=["GET"]),
            Route(f"{BASE}/endpoint", self.get, methods=["GET"]),
            Route(f"{BASE}/endpoint/update", self.update, methods=["POST"]),
            Route(f"{BASE}/endpoint/delete", self.delete, methods=["POST"]),
            Route("/v1/{endpoint}/run", self.run, methods=["POST"]),
            Route("/v1/{endpoint}/status/{job_id}", self.status, methods=["GET"]),
            Route("/v1/{endpoint}/cancel/{job_id}", self.cancel, methods=["GET", "POST"]),
            Route("/v1/{endpoint}/stats", self.stats, methods=["GET"]),
        ]

    # --- prices ------------------------------------------------------------------------------
    def product(self, product_id: str) -> dict[str, Any] | None:
        """The GPU product (``id``, ``name``, ``price``) from the GPU catalogue, else the fallback."""
        catalog = getattr(self.state.domains.get("gpu_catalog"), "gpu_products", None)
        if catalog is None:
            return FALLBACK_PRODUCTS.get(str(product_id))
        found = catalog.get(str(product_id))
        return None if found is None else {"id": found.id, "name": found.name, "price": int(found.price)}

    def settle(self, now: float) -> None:
        for ep in self.endpoints.values():
            ep.pool.release_idle(now)
            self._bill(ep, now)

    def _bill(self, ep: Endpoint, now: float) -> None:
        product = self.product(ep.config["products"][0]["id"]) or {"id": "", "name": "", "price": 0}
        gpu_price = Decimal(product["price"]) * ep.config["workerConfig"]["gpuNum"]

        def accrued(worker: Any, until: float) -> Decimal:
            # Units since allocation (price: 1/100000 USD per GPU-hour; a unit: 1/10000 USD). Counting
            # from allocation makes the many small charges telescope to an exact total.
            seconds = Decimal(repr(until - worker.allocated_at))
            return (seconds * gpu_price / Decimal(36_000)).quantize(_PRECISION)

        for worker in ep.pool.workers:
            until = now if worker.released_at is None else min(now, worker.released_at)
            if until <= worker.billed_until:
                continue
            seconds = Decimal(repr(until - worker.billed_until))
            amount = accrued(worker, until) - accrued(worker, worker.billed_until)
            worker.billed_until = until
            self.state.charge(None, category="serverless", product_name=product["name"],
                              amount_units=amount, owner_id=ep.id, product_id=product["id"],
                              bill_num0=seconds * ep.config["workerConfig"]["gpuNum"],
                              unit_price0=Decimal(product["price"]), at=until)

    # --- validation -------------------------------------------------------------------------
    def _config(self, body: dict[str, Any], *, existing: Endpoint | None = None) -> dict[str, Any]:
        wc = _one(body.get("workerConfig"), "workerConfig")
        lim = LIMITS
        min_num = _int(wc, "minNum", "workerConfig.minNum", lim["minWorkerNum"], lim["maxWorkerNum"])
        max_num = _int(wc, "maxNum", "workerConfig.maxNum", lim["minWorkerNum"], lim["maxWorkerNum"])
        if max_num < min_num:
            raise _gpu("VALIDATOR_PARAM", "workerConfig.maxNum must be >= workerConfig.minNum")
        worker = {
            "minNum": min_num, "maxNum": max_num,
            "freeTimeout": _int(wc, "freeTimeout", "workerConfig.freeTimeout", lim["minFreeTimeout"],
                                lim["maxFreeTimeout"]),
            "maxConcurrent": _int(wc, "maxConcurrent", "workerConfig.maxConcurrent", lim["minConcurrencyNum"],
                                  lim["maxConcurrencyNum"]),
            "gpuNum": _int(wc, "gpuNum", "workerConfig.gpuNum", lim["minGPUNum"], lim["maxGPUNum"]),
            "requestTimeout": _int(wc, "requestTimeout", "workerConfig.requestTimeout", 1, 3600, 600),
            "cudaVersion": str(wc.get("cudaVersion") or lim["cudaVersionList"][-1]),
        }
        if worker["cudaVersion"] not in lim["cudaVersionList"]:
            raise _gpu("VALIDATOR_PARAM", f"workerConfig.cudaVersion must be one of {lim['cudaVersionList']}")
        policy = _one(body.get("policy"), "policy")
        if policy.get("type") not in ("queue", "concurrency"):
            raise _gpu("VALIDATOR_PARAM", "policy.type must be 'queue' or 'concurrency'")
        low, high = ((lim["minQueueWaitTime"], lim["maxQueueWaitTime"]) if policy["type"] == "queue"
                     else (lim["minRequestNum"], lim["maxRequestNum"]))
        policy_value = _int(policy, "value", "policy.value", low, high)
        image = _one(body.get("image"), "image")
        if not isinstance(image.get("image"), str) or not 1 <= len(image["image"]) <= 511:
            raise _gpu("VALIDATOR_PARAM", "image.image is required (1-511 characters)")
        ports = body.get("ports")
        if not isinstance(ports, list) or len(ports) != 1 or not isinstance(ports[0], dict):
            raise _gpu("VALIDATOR_PARAM", "ports must hold exactly one HTTP port")
        port = _int(ports[0], "port", "ports[0].port", 1, 65535)
        if 2222 <= port <= 2224:
            raise _gpu("VALIDATOR_PARAM", "ports 2222-2224 are reserved")
        products = body.get("products", existing.config["products"] if existing else None)
        if not isinstance(products, list) or not products or not isinstance(products[0], dict):
            raise _gpu("VALIDATOR_PARAM", "products must list one GPU product id")
        if self.product(str(products[0].get("id"))) is None:
            raise _gpu("SERVERLESS_PRODUCT_NOT_FOUND", f"GPU product {products[0].get('id')!r} not found")
        mounts = body.get("volumeMounts", existing.config["volumeMounts"] if existing else None)
        if mounts is None:
            mounts = [{"type": "local", "size": 30, "mountPath": "/workspace"}]
        cluster = str(body.get("clusterID", existing.config["clusterID"] if existing else "") or "")
        if any(isinstance(m, dict) and m.get("type") == "network" for m in mounts) and not cluster:
            raise _gpu("VALIDATOR_PARAM", "clusterID is required when mounting network storage")
        healthy = body.get("healthy", existing.config["healthy"] if existing else None)
        if not isinstance(healthy, dict) or not str(healthy.get("path") or "").startswith("/"):
            raise _gpu("VALIDATOR_PARAM", "healthy.path is required (an HTTP path such as /health)")
        name = str(body.get("name", existing.config["name"] if existing else "") or "")
        if len(name) > 220:
            raise _gpu("VALIDATOR_PARAM", "name must be at most 220 characters")
        return {
            "name": name, "workerConfig": worker, "policy": {"type": policy["type"], "value": policy_value},
            "image": {"image": image["image"], "authId": str(image.get("authId") or ""),
                      "command": str(image.get("command") or "")},
            "ports": [{"port": port}], "products": [{"id": str(products[0]["id"])}],
            "rootfsSize": int(body.get("rootfsSize", existing.config["rootfsSize"] if existing else 100) or 100),
            "volumeMounts": mounts, "clusterID": cluster,
            "envs": list(body.get("envs", existing.config["envs"] if existing else []) or []),
            "healthy": {"path": healthy["path"], "initialDelay": int(healthy.get("initialDelay", 0) or 0),
                        "period": int(healthy.get("period", 10) or 10), "timeout": int(healthy.get("timeout", 5) or 5),
                        "successThreshold": int(healthy.get("successThreshold", 1) or 1),
                        "failureThreshold": int(healthy.get("failureThreshold", 3) or 3)},
        }

    def _find(self, endpoint_id: str) -> Endpoint:
        ep = self.endpoints.get(endpoint_id)
        if ep is None:
            raise _gpu("SERVERLESS_ENDPOINT_NOT_FOUND", f"serverless endpoint {endpoint_id!r} not found")
        return ep

    def _hourly_units(self, config: dict[str, Any]) -> Decimal:
        product = self.product(config["products"][0]["id"]) or {"price": 0}
        wc = config["workerConfig"]
        return Decimal(product["price"]) * wc["gpuNum"] * wc["minNum"] / 10

    # --- views -------------------------------------------------------------------------------
    def view(self, ep: Endpoint) -> dict[str, Any]:
        now = self.state.now()
        c = ep.config
        wc = c["workerConfig"]
        serving = now >= ep.created_at + WORKER_BOOT_SECONDS
        return {
            "id": ep.id, "name": c["name"], "appName": c["appName"],
            "url": f"https://{c['appName']}.serverless.sandbox.novita.invalid",
            "state": {"state": "serving" if serving else "deploying", "error": "", "message": ""},
            "workerConfig": {"minNum": wc["minNum"], "maxNum": wc["maxNum"], "freeTimeout": str(wc["freeTimeout"]),
                             "maxConcurrent": str(wc["maxConcurrent"]), "gpuNum": wc["gpuNum"],
                             "cudaVersion": wc["cudaVersion"], "requestTimeout": wc["requestTimeout"]},
            "policy": {"type": c["policy"]["type"], "value": str(c["policy"]["value"])},
            "image": dict(c["image"]), "rootfsSize": c["rootfsSize"], "volumeMounts": c["volumeMounts"],
            "envs": c["envs"], "ports": c["ports"], "products": c["products"], "healthy": c["healthy"],
            "clusterID": c["clusterID"], "log": f"https://logs.sandbox.novita.invalid/serverless/{ep.id}",
            "workers": [
                {"id": w.id, "state": {"state": w.state(now), "error": "", "message": ""},
                 "log": f"https://logs.sandbox.novita.invalid/serverless/{ep.id}/{w.id}",
                 "metrics": f"https://metrics.sandbox.novita.invalid/serverless/{ep.id}/{w.id}",
                 "healthy": w.state(now) == "running"}
                for w in ep.pool.live()
            ],
        }

    # --- control plane -------------------------------------------------------------------------
    async def limit(self, request: Request) -> JSONResponse:
        return JSONResponse(LIMITS)

    async def create(self, request: Request) -> JSONResponse:
        body = await json_object(request, "gpu")
        raw = body.get("endpoint") if isinstance(body, dict) else None
        if not isinstance(raw, dict):
            raise _gpu("VALIDATOR_PARAM", "the body must be {\"endpoint\": {...}}")
        config = self._config(raw)
        endpoint_id = secrets.token_hex(8)
        app_name = str(raw.get("appName") or endpoint_id)
        if any(e.config["appName"] == app_name for e in self.endpoints.values()):
            raise _gpu("SERVERLESS_APP_NAME_IS_EXIST", f"appName {app_name!r} is already used")
        config["appName"] = app_name
        self.state.require_balance("gpu", self._hourly_units(config))
        now = self.state.now()
        wc = config["workerConfig"]
        pool = Pool(min_num=wc["minNum"], max_num=wc["maxNum"], free_timeout=wc["freeTimeout"],
                    max_concurrent=wc["maxConcurrent"], policy_type=config["policy"]["type"],
                    policy_value=config["policy"]["value"])
        pool.pin_minimum(now)
        self.endpoints[endpoint_id] = Endpoint(endpoint_id, now, config, pool)
        return JSONResponse({"id": endpoint_id})

    async def index(self, request: Request) -> JSONResponse:
        q = request.query_params
        try:
            size, num = int(q.get("pageSize") or 10), int(q.get("pageNum") or 0)
        except ValueError:
            raise _gpu("VALIDATOR_PARAM", "pageSize and pageNum must be integers") from None
        if size < 1 or num < 0:
            raise _gpu("VALIDATOR_PARAM", "pageSize >= 1 and pageNum >= 0")
        items = list(reversed(self.endpoints.values()))  # newest first
        window = items[num * size:(num + 1) * size]
        return JSONResponse({"endpoints": [self.view(e) for e in window], "total": len(items)})

    async def get(self, request: Request) -> JSONResponse:
        endpoint_id = request.query_params.get("id") or ""
        return JSONResponse({"endpoint": self.view(self._find(endpoint_id))})

    async def update(self, request: Request) -> JSONResponse:
        body = await json_object(request, "gpu")
        if not isinstance(body, dict) or not body.get("id"):
            raise _gpu("VALIDATOR_PARAM", "id is required")
        ep = self._find(str(body["id"]))
        config = self._config(body, existing=ep)
        config["appName"] = ep.config["appName"]
        added = max(0, config["workerConfig"]["minNum"] - ep.config["workerConfig"]["minNum"])
        if added:
            self.state.require_balance("gpu", self._hourly_units(config))
        now = self.state.now()
        ep.config = config
        wc = config["workerConfig"]
        pool = ep.pool
        pool.min_num, pool.max_num, pool.free_timeout = wc["minNum"], wc["maxNum"], wc["freeTimeout"]
        pool.policy_type, pool.policy_value = config["policy"]["type"], config["policy"]["value"]
        pool.pin_minimum(now)
        return JSONResponse({})

    async def delete(self, request: Request) -> JSONResponse:
        body = await json_object(request, "gpu")
        endpoint_id = str((body or {}).get("name") or "")  # the docs' key: "name", holding the endpoint id
        ep = self._find(endpoint_id)
        now = self.state.now()
        ep.pool.release_all(now)
        self._bill(ep, now)
        for job in ep.pool.jobs.values():
            ep.pool.cancel(job, now)
        del self.endpoints[endpoint_id]
        return JSONResponse({})

    # --- async data plane ----------------------------------------------------------------------
    def _by_name(self, name: str) -> Endpoint:
        for ep in self.endpoints.values():
            if name in (ep.id, ep.config["appName"], ep.config["name"]):
                return ep
        raise SandboxError("dedicated", "NOT_FOUND", f"endpoint {name!r} not found", status=404)

    def _job_view(self, ep: Endpoint, job_id: str) -> dict[str, Any]:
        job = ep.pool.jobs.get(job_id)
        if job is None:
            raise SandboxError("dedicated", "NOT_FOUND", f"job {job_id!r} not found", status=404)
        now = self.state.now()
        status = job.status(now)
        view: dict[str, Any] = {"id": job.id, "status": status}
        started = min(now, job.start_at) if job.cancelled_at is None else min(job.cancelled_at, job.start_at)
        view["delayTime"] = int(max(0.0, started - job.submitted_at) * 1000)
        if status in ("IN_PROGRESS", "COMPLETED"):
            view["workerId"] = job.worker_id
            view["executionTime"] = int((min(now, job.end_at) - job.start_at) * 1000)
        if status == "COMPLETED":
            view["output"] = job.output
        return view

    async def run(self, request: Request) -> JSONResponse:
        ep = self._by_name(request.path_params["endpoint"])
        body = await json_object(request, "gpu")
        if not isinstance(body, dict) or "input" not in body:
            raise SandboxError("dedicated", "INVALID_REQUEST_BODY", "the body must be {\"input\": {...}}")
        if len(await request.body()) > 4 * 1024 * 1024:
            raise SandboxError("dedicated", "INVALID_REQUEST_BODY", "input is larger than 4 MiB")
        job = ep.pool.submit(self.state.now(), body["input"])
        return JSONResponse({"id": job.id, "status": "PENDING"})

    async def status(self, request: Request) -> JSONResponse:
        ep = self._by_name(request.path_params["endpoint"])
        return JSONResponse(self._job_view(ep, request.path_params["job_id"]))

    async def cancel(self, request: Request) -> JSONResponse:
        ep = self._by_name(request.path_params["endpoint"])
        job_id = request.path_params["job_id"]
        self._job_view(ep, job_id)
        ep.pool.cancel(ep.pool.jobs[job_id], self.state.now())
        return JSONResponse(self._job_view(ep, job_id))

    async def stats(self, request: Request) -> JSONResponse:
        ep = self._by_name(request.path_params["endpoint"])
        now = self.state.now()
        counts = {"IN_QUEUE": 0, "IN_PROGRESS": 0, "COMPLETED": 0, "CANCELLED": 0}
        for job in ep.pool.jobs.values():
            counts[job.status(now)] += 1
        live = ep.pool.live()
        return JSONResponse({
            "jobs": {"inQueue": counts["IN_QUEUE"], "inProgress": counts["IN_PROGRESS"],
                     "completed": counts["COMPLETED"], "cancelled": counts["CANCELLED"]},
            "workers": {"running": sum(1 for w in live if w.state(now) == "running"),
                        "initializing": sum(1 for w in live if w.state(now) == "pulling")},
            "jobSeconds": JOB_SECONDS,
        })
