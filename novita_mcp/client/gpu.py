"""GPU and CPU instances (REFERENCE.md §6): clusters, products, instances, their lifecycle, metrics.

``client.gpu`` for compute; ``client.gpu.resources`` for templates, network storage and
registry auth. Every mutation is a POST and is never retried (the transport retries only
GETs), so a create is sent at most once.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from novita_mcp.client._http import HTTPCore
from novita_mcp.client.gpu_models import (
    Cluster,
    CpuProduct,
    GpuProduct,
    Instance,
    InstanceMetrics,
    InstancePage,
)
from novita_mcp.client.gpu_resources import GpuResourcesAPI
from novita_mcp.ids import INSTANCE, check_id

__all__ = ["GPU_PREFIX", "METRICS_PATH", "BillingMethod", "GpuAPI", "InstanceKind"]

GPU_PREFIX = "/gpu-instance/openapi/v1"
METRICS_PATH = "/openapi/v1/metrics/gpu/instance"  # not under /gpu-instance (§6.7)

BillingMethod = Literal["onDemand", "monthly", "spot"]
InstanceKind = Literal["gpu", "cpu"]


def _drop_none(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


class GpuAPI:
    """``client.gpu``."""

    def __init__(self, http: HTTPCore) -> None:
        self._http = http

    @cached_property
    def resources(self) -> GpuResourcesAPI:
        return GpuResourcesAPI(self._http)

    async def _get(self, path: str, **params: Any) -> Any:
        return await self._http.request("GET", GPU_PREFIX + path, params=params)

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        return await self._http.request("POST", GPU_PREFIX + path, json_body=_drop_none(body))

    # --- catalogue ------------------------------------------------------------------------
    async def clusters(self) -> list[Cluster]:
        body = await self._get("/clusters")
        return [Cluster.model_validate(c) for c in body.get("data") or []]

    async def products(
        self,
        *,
        cluster_id: str | None = None,
        gpu_num: int | None = None,
        product_name: str | None = None,
        min_cpu_per_gpu: int | None = None,
        min_memory_per_gpu: int | None = None,
        min_rootfs_size: int | None = None,
        billing_method: BillingMethod | None = None,
    ) -> list[GpuProduct]:
        body = await self._get("/products", clusterId=cluster_id, gpuNum=gpu_num, productName=product_name,
                               minCpuPerGpu=min_cpu_per_gpu, minMemoryPerGpu=min_memory_per_gpu,
                               minRootFSSize=min_rootfs_size, billingMethod=billing_method)
        return [GpuProduct.model_validate(p) for p in body.get("data") or []]

    async def cpu_products(self, *, cluster_id: str | None = None, product_name: str | None = None) -> list[CpuProduct]:
        body = await self._get("/cpu/products", clusterId=cluster_id, productName=product_name)
        return [CpuProduct.model_validate(p) for p in body.get("data") or []]

    # --- instances --------------------------------------------------------------------------
    async def create_instance(
        self,
        *,
        product_id: str,
        image_url: str,
        kind: InstanceKind = "gpu",
        name: str | None = None,
        gpu_num: int | None = None,
        rootfs_size: int | None = None,
        cluster_id: str | None = None,
        ports: list[tuple[int, str]] | None = None,
        envs: dict[str, str] | None = None,
        command: str | None = None,
        entrypoint: str | None = None,
        image_auth_id: str | None = None,
        jupyter_port: int | None = None,
        network_storages: list[tuple[str, str]] | None = None,
        network_id: str | None = None,
        billing_mode: BillingMethod = "onDemand",
        month: int | None = None,
        auto_renew: bool | None = None,
        auto_renew_month: int | None = None,
        min_cuda_version: str | None = None,
    ) -> str:
        """Create a GPU (``kind="gpu"``) or CPU (``kind="cpu"``) instance; returns its id."""
        body: dict[str, Any] = {
            "name": name, "productId": product_id, "kind": kind, "imageUrl": image_url,
            "gpuNum": gpu_num if kind == "gpu" else None, "rootfsSize": rootfs_size, "clusterId": cluster_id,
            "ports": ",".join(f"{p}/{t}" for p, t in ports) if ports else None,
            "envs": [{"key": k, "value": v} for k, v in envs.items()] if envs else None,
            "command": command, "entrypoint": entrypoint, "imageAuthId": image_auth_id,
            "tools": [{"name": "Jupyter", "port": str(jupyter_port), "type": "http"}] if jupyter_port else None,
            "networkStorages": [{"Id": sid, "mountPoint": path} for sid, path in network_storages]
            if network_storages else None,
            "networkId": network_id, "billingMode": billing_mode, "month": month if billing_mode == "monthly" else None,
            "autoRenew": auto_renew, "autoRenewMonth": auto_renew_month, "minCudaVersion": min_cuda_version,
        }
        result = await self._post("/gpu/instance/create", body)
        return str(result.get("id", ""))

    async def list_instances(
        self, *, page_size: int = 50, page_num: int = 0, name: str | None = None, product_name: str | None = None,
        status: str | None = None,
    ) -> InstancePage:
        body = await self._get("/gpu/instances", pageSize=page_size, pageNum=page_num, name=name,
                               productName=product_name, status=status)
        return InstancePage.model_validate(body)

    async def all_instances(self, *, status: str | None = None, limit: int = 500) -> list[Instance]:
        """Every instance (walking pages), up to ``limit``."""
        found: list[Instance] = []
        page_num = 0
        while len(found) < limit:
            page = await self.list_instances(page_size=100, page_num=page_num, status=status)
            found.extend(page.instances)
            if not page.instances or len(found) >= page.total:
                break
            page_num += 1
        return found[:limit]

    async def get_instance(self, instance_id: str) -> Instance:
        return Instance.model_validate(await self._get("/gpu/instance", instanceId=check_id(INSTANCE, instance_id)))

    async def start(self, instance_id: str) -> None:
        await self._post("/gpu/instance/start", {"instanceId": instance_id})

    async def stop(self, instance_id: str) -> None:
        await self._post("/gpu/instance/stop", {"instanceId": instance_id})

    async def restart(self, instance_id: str) -> None:
        await self._post("/gpu/instance/restart", {"instanceId": instance_id})

    async def delete(self, instance_id: str) -> None:
        await self._post("/gpu/instance/delete", {"instanceId": instance_id})

    async def edit(self, instance_id: str, *, ports: list[tuple[int, str]] | None = None,
                   expand_root_disk: int | None = None) -> None:
        await self._post("/gpu/instance/edit", {
            "instanceId": instance_id,
            "ports": [{"port": p, "type": t} for p, t in ports] if ports is not None else None,
            "expandRootDisk": expand_root_disk,
        })

    async def upgrade(self, instance_id: str, *, image_url: str, envs: dict[str, str], command: str, save: bool,
                      network_storages: list[tuple[str, str]], image_auth_id: str | None = None) -> None:
        """Re-image the instance. Every parameter is sent: empty ones clear the old value."""
        await self._post("/gpu/instance/upgrade", {
            "instanceId": instance_id, "imageUrl": image_url, "imageAuthId": image_auth_id,
            "envs": [{"key": k, "value": v} for k, v in envs.items()], "command": command, "save": save,
            "networkVolume": {"volumeMounts": [{"type": "network", "id": sid, "mountPath": path}
                                               for sid, path in network_storages]},
        })

    async def migrate(self, instance_id: str) -> None:
        await self._post("/gpu/instance/migrate", {"instanceId": instance_id})

    async def renew(self, instance_id: str, month: int) -> None:
        await self._post("/gpu/instance/renewInstance", {"instanceId": instance_id, "month": month})

    async def convert_to_monthly(self, instance_id: str, month: int) -> None:
        await self._post("/gpu/instance/transToMonthlyInstance", {"instanceId": instance_id, "month": month})

    async def metrics(self, instance_id: str, *, start_time: int | None = None, end_time: int | None = None,
                      interval: int | None = None) -> InstanceMetrics:
        body = await self._http.request("GET", METRICS_PATH, params={
            "instanceId": check_id(INSTANCE, instance_id), "startTime": start_time, "endTime": end_time, "interval": interval})
        return InstanceMetrics.model_validate(body)
