"""Response models of the GPU-instance family (REFERENCE.md §6.2-§6.7): tolerant and frozen.

Numbers that Novita sometimes sends as strings (``cpuNum``, ``gpuNum``, ``spotPrice``,
``volumeMounts[].size`` in lists) are read with ``LooseInt``; an empty ``billingMode``
means on demand (see ``Instance.billing``).
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, SecretStr, field_validator

from novita_mcp.client._models import APIModel, LooseInt, LooseStr
from novita_mcp.pricing.gpu import product_price_usd

__all__ = [
    "Cluster",
    "CpuProduct",
    "EnvVar",
    "GpuMetricSeries",
    "GpuProduct",
    "GpuSeries",
    "Instance",
    "InstanceMetrics",
    "InstanceNetwork",
    "InstancePage",
    "JupyterInfo",
    "LogInfo",
    "MetricPoint",
    "MonthlyPrice",
    "PortMapping",
    "SSHInfo",
    "StatusError",
    "VolumeMount",
    "WebTerminalInfo",
]


class Cluster(APIModel):
    id: LooseStr = ""
    name: LooseStr = ""
    available_gpu_type: list[str] = Field(default_factory=list, alias="availableGpuType")
    support_network_storage: bool = Field(False, alias="supportNetworkStorage")
    support_instance_network: bool = Field(False, alias="supportInstanceNetwork")


class MonthlyPrice(APIModel):
    price: LooseInt = 0  # 1/100000 USD per GPU per month at this term
    month: LooseInt = 0

    @property
    def usd_per_gpu_month(self) -> Decimal:
        return product_price_usd(self.price)


class GpuProduct(APIModel):
    id: LooseStr = ""
    name: LooseStr = ""
    cpu_per_gpu: LooseInt = Field(0, alias="cpuPerGpu")
    memory_per_gpu: LooseInt = Field(0, alias="memoryPerGpu")
    disk_per_gpu: LooseInt = Field(0, alias="diskPerGpu")
    available_deploy: bool = Field(False, alias="availableDeploy")
    min_rootfs: LooseInt = Field(0, alias="minRootFS")
    max_rootfs: LooseInt = Field(0, alias="maxRootFS")
    regions: list[str] = Field(default_factory=list)
    price: LooseInt = 0  # 1/100000 USD per GPU-hour
    monthly_price: list[MonthlyPrice] = Field(default_factory=list, alias="monthlyPrice")
    billing_methods: list[str] = Field(default_factory=list, alias="billingMethods")
    spot_price: LooseInt = Field(0, alias="spotPrice")
    inventory_state: LooseStr = Field("", alias="inventoryState")
    available_gpu_number: int | None = Field(None, alias="availableGpuNumber")

    @property
    def usd_per_gpu_hour(self) -> Decimal:
        return product_price_usd(self.price)

    @property
    def spot_usd_per_gpu_hour(self) -> Decimal:
        return product_price_usd(self.spot_price)

    def monthly_tier(self, months: int) -> MonthlyPrice | None:
        """The subscription tier that applies to ``months``: the longest listed term not above it."""
        tiers = sorted((t for t in self.monthly_price if 0 < t.month <= months), key=lambda t: t.month)
        return tiers[-1] if tiers else None


class CpuProduct(APIModel):
    id: LooseStr = ""
    name: LooseStr = ""
    cpu_num: LooseInt = Field(0, alias="cpuNum")
    memory_size: LooseInt = Field(0, alias="memorySize")
    rootfs_size: LooseInt = Field(0, alias="rootfsSize")
    local_volume_size: LooseInt = Field(0, alias="localVolumeSize")
    available_deploy: bool = Field(False, alias="availableDeploy")
    price: LooseInt = 0  # 1/100000 USD per hour
    regions: list[str] = Field(default_factory=list)

    @property
    def usd_per_hour(self) -> Decimal:
        return product_price_usd(self.price)


class PortMapping(APIModel):
    port: LooseInt = 0
    endpoint: LooseStr = ""
    type: LooseStr = ""


class VolumeMount(APIModel):
    type: LooseStr = ""
    size: LooseInt = 0
    id: LooseStr = ""
    mount_path: LooseStr = Field("", alias="mountPath")


class SSHInfo(APIModel):
    ssh_command: LooseStr = Field("", alias="sshCommand")
    password: SecretStr = SecretStr("")
    is_running: bool = Field(False, alias="isRunning")


class WebTerminalInfo(APIModel):
    address: LooseStr = ""
    username: LooseStr = ""
    password: SecretStr = SecretStr("")
    is_running: bool = Field(False, alias="isRunning")


class JupyterInfo(APIModel):
    port: LooseInt = 0
    address: LooseStr = ""
    is_running: bool = Field(False, alias="isRunning")


class LogInfo(APIModel):
    system_log_address: LooseStr = Field("", alias="systemLogAddress")
    instance_log_address: LooseStr = Field("", alias="instanceLogAddress")
    is_running: bool = Field(False, alias="isRunning")


class StatusError(APIModel):
    state: LooseStr = ""
    message: LooseStr = ""


class InstanceNetwork(APIModel):
    id: LooseStr = ""
    ip: LooseStr = ""


class EnvVar(APIModel):
    key: LooseStr = ""
    value: LooseStr = ""


class Instance(APIModel):
    id: LooseStr = ""
    name: LooseStr = ""
    cluster_id: LooseStr = Field("", alias="clusterId")
    cluster_name: LooseStr = Field("", alias="clusterName")
    status: LooseStr = ""
    status_error: StatusError = Field(default_factory=StatusError, alias="statusError")
    image_url: LooseStr = Field("", alias="imageUrl")
    image_auth_id: LooseStr = Field("", alias="imageAuthId")
    command: LooseStr = ""
    entrypoint: LooseStr = ""
    cpu_num: LooseInt = Field(0, alias="cpuNum")
    memory: LooseInt = 0
    gpu_num: LooseInt = Field(0, alias="gpuNum")
    product_id: LooseStr = Field("", alias="productId")
    product_name: LooseStr = Field("", alias="productName")
    rootfs_size: LooseInt = Field(0, alias="rootfsSize")
    port_mappings: list[PortMapping] = Field(default_factory=list, alias="portMappings")
    volume_mounts: list[VolumeMount] = Field(default_factory=list, alias="volumeMounts")
    network: InstanceNetwork = Field(default_factory=InstanceNetwork)
    envs: list[EnvVar] = Field(default_factory=list)
    ssh: SSHInfo | None = Field(None, alias="connectComponentSSH")
    web_terminal: WebTerminalInfo | None = Field(None, alias="connectComponentWebTerminal")
    jupyter: JupyterInfo | None = Field(None, alias="connectComponentJupyter")
    logs: LogInfo | None = Field(None, alias="connectComponentLog")
    kind: LooseStr = "gpu"
    billing_mode: LooseStr = Field("", alias="billingMode")
    end_time: LooseStr = Field("", alias="endTime")
    spot_status: LooseStr = Field("", alias="spotStatus")
    spot_reclaim_time: LooseStr = Field("", alias="spotReclaimTime")
    free_storage_size: LooseInt = Field(0, alias="freeStorageSize")
    keep_data_day: LooseInt = Field(0, alias="keepDataDay")
    # older docs revision, still possibly returned
    ssh_command_legacy: LooseStr = Field("", alias="sshCommand")
    ssh_password_legacy: SecretStr = Field(SecretStr(""), alias="sshPassword")

    @field_validator("kind", mode="after")
    @classmethod
    def _default_kind(cls, value: str) -> str:
        return value or "gpu"

    @property
    def billing(self) -> str:
        """onDemand | monthly | spot (the live API sometimes sends "" for on demand)."""
        return self.billing_mode or "onDemand"

    @property
    def subscription_ends(self) -> int | None:
        try:
            end = int(self.end_time)
        except ValueError:
            return None
        return end if end > 0 else None


class InstancePage(APIModel):
    instances: list[Instance] = Field(default_factory=list)
    total: LooseInt = 0


class MetricPoint(APIModel):
    timestamp: LooseStr = ""
    value: float = 0.0


class GpuSeries(APIModel):
    gpu_id: LooseStr = Field("", alias="gpuId")
    items: list[MetricPoint] = Field(default_factory=list)


class GpuMetricSeries(APIModel):
    avg: list[MetricPoint] = Field(default_factory=list)
    gpu_ids: list[GpuSeries] = Field(default_factory=list, alias="gpuIds")


class InstanceMetrics(APIModel):
    cpu: list[MetricPoint] = Field(default_factory=list, alias="cpuUtilization")
    memory: list[MetricPoint] = Field(default_factory=list, alias="memUtilization")
    root_disk: list[MetricPoint] = Field(default_factory=list, alias="rootDiskUtilization")
    gpu: GpuMetricSeries = Field(default_factory=GpuMetricSeries, alias="gpuUtilization")
    gpu_memory: GpuMetricSeries = Field(default_factory=GpuMetricSeries, alias="gpuMemUtilization")
