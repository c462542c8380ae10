"""Read tools of the ``gpu`` toolset: instances, connection details, metrics, and what is spending now."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from novita_mcp.client.gpu_models import Instance, MetricPoint
from novita_mcp.toolkit import Context, Effect, Reply, services, tool
from novita_mcp.tools._common import MAX_LIMIT, Page, iso, page
from novita_mcp.tools.gpu.common import InstanceId, label

__all__ = ["STATUSES", "InstanceSummary", "get_instance", "get_instance_metrics", "list_instances", "summarize"]

STATUSES = ("toCreate", "creating", "pulling", "running", "toStart", "starting", "toStop", "stopping", "exited",
            "toRestart", "restarting", "toRemove", "removing", "removed", "toReset", "resetting", "migrating",
            "freezing", "pending")
Status = Literal["toCreate", "creating", "pulling", "running", "toStart", "starting", "toStop", "stopping", "exited",
                 "toRestart", "restarting", "toRemove", "removing", "removed", "toReset", "resetting", "migrating",
                 "freezing", "pending"]
_SECRET_ENV = re.compile(r"(pass|secret|token|key|credential|auth)", re.IGNORECASE)
WITHHELD = "(withheld: call get_instance with include_secrets=true)"


class InstanceSummary(BaseModel):
    instance_id: str
    name: str
    status: str
    kind: Literal["gpu", "cpu"] | str
    product: str
    gpus: int
    cluster: str
    billing: str = Field(description="onDemand | spot | monthly")
    subscription_ends: str | None = Field(None, description="UTC expiry of a monthly instance.")


def summarize(inst: Instance) -> InstanceSummary:
    ends = inst.subscription_ends
    return InstanceSummary(instance_id=inst.id, name=inst.name, status=inst.status, kind=inst.kind,
                           product=inst.product_name, gpus=inst.gpu_num, cluster=f"{inst.cluster_id} {inst.cluster_name}",
                           billing=inst.billing, subscription_ends=iso(ends) if ends else None)


class Instances(BaseModel):
    instances: list[InstanceSummary]
    page: Page


@tool(title="List instances", effects={Effect.READ})
async def list_instances(
    ctx: Context,
    status: Status | None = None,
    name: Annotated[str | None, Field(description="Part of the name.", max_length=255)] = None,
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Field(ge=0, le=10_000)] = 0,
) -> Reply[Instances]:
    """The account's GPU and CPU instances, newest first: status, product, GPUs, billing."""
    found = await services(ctx).client.gpu.all_instances(status=status)
    rows = [summarize(i) for i in found if not name or name.lower() in i.name.lower()]
    chunk, pg = page(rows, offset, limit)
    lines = [f"- {i.instance_id} '{i.name}': {i.status}, {i.gpus}x {i.product} ({i.billing})" for i in chunk]
    more = [f"(next_offset={pg.next_offset})"] if pg.next_offset is not None else []
    return Reply(Instances(instances=chunk, page=pg), "\n".join([f"{pg.total} instance(s).", *lines, *more]))


class PortView(BaseModel):
    port: int
    type: str
    url_or_address: str


class VolumeView(BaseModel):
    type: str
    size_gb: int
    mount_path: str
    storage_id: str


class InstanceDetail(InstanceSummary):
    image: str
    command: str
    cpus: int
    memory_gb: int
    rootfs_gb: int
    free_disk_gb: int
    ports: list[PortView]
    volumes: list[VolumeView]
    envs: dict[str, str] = Field(description="Values that look secret are withheld unless include_secrets=true.")
    ssh_command: str
    ssh_password: str = Field(description="Withheld unless include_secrets=true.")
    web_terminal: str
    jupyter_url: str
    system_log_url: str
    instance_log_url: str
    network_id: str
    network_ip: str
    error: str
    keep_data_days: int = Field(description="Days the local data is kept after a stop.")


@tool(title="Get instance details", effects={Effect.READ})
async def get_instance(
    ctx: Context,
    instance_id: InstanceId,
    include_secrets: Annotated[bool, Field(description="Passwords and secret env values; only if the user asks.")] = False,
) -> Reply[InstanceDetail]:
    """One instance: status, ports and URLs, SSH/Jupyter/log connection info, disks."""
    inst = await services(ctx).client.gpu.get_instance(instance_id)
    ssh_pw = inst.ssh.password.get_secret_value() if inst.ssh else inst.ssh_password_legacy.get_secret_value()
    envs = {e.key: (e.value if include_secrets or not _SECRET_ENV.search(e.key) else WITHHELD) for e in inst.envs}
    base = summarize(inst).model_dump()
    detail = InstanceDetail(
        **base, image=inst.image_url, command=inst.command, cpus=inst.cpu_num, memory_gb=inst.memory,
        rootfs_gb=inst.rootfs_size, free_disk_gb=inst.free_storage_size,
        ports=[PortView(port=p.port, type=p.type, url_or_address=p.endpoint) for p in inst.port_mappings],
        volumes=[VolumeView(type=v.type, size_gb=v.size, mount_path=v.mount_path, storage_id=v.id)
                 for v in inst.volume_mounts],
        envs=envs, ssh_command=(inst.ssh.ssh_command if inst.ssh else inst.ssh_command_legacy),
        ssh_password=(ssh_pw if include_secrets else WITHHELD) if ssh_pw else "",
        web_terminal=inst.web_terminal.address if inst.web_terminal else "",
        jupyter_url=inst.jupyter.address if inst.jupyter else "",
        system_log_url=inst.logs.system_log_address if inst.logs else "",
        instance_log_url=inst.logs.instance_log_address if inst.logs else "",
        network_id=inst.network.id, network_ip=inst.network.ip,
        error=inst.status_error.message, keep_data_days=inst.keep_data_day,
    )
    head = f"{label(inst)}: {inst.status}, {inst.gpu_num}x {inst.product_name} in {inst.cluster_name} ({inst.billing})."
    lines = [head]
    lines += [f"- port {p.port}/{p.type}: {p.url_or_address}" for p in detail.ports]
    if detail.ssh_command:
        lines.append(f"- SSH: {detail.ssh_command} (password {detail.ssh_password or 'none'})")
    if detail.jupyter_url:
        lines.append(f"- Jupyter: {detail.jupyter_url}")
    return Reply(detail, "\n".join(lines))


class SeriesSummary(BaseModel):
    average: float | None
    peak: float | None
    last: float | None
    points: list[MetricPoint] = Field(description="Up to 30 most recent points (timestamp, percent).")


class InstanceMetricsView(BaseModel):
    instance_id: str
    window_start: str
    window_end: str
    cpu_percent: SeriesSummary
    memory_percent: SeriesSummary
    root_disk_percent: SeriesSummary
    gpu_percent: SeriesSummary
    gpu_memory_percent: SeriesSummary
    gpu_count: int


def _series(points: list[MetricPoint]) -> SeriesSummary:
    values = [p.value for p in points]
    if not values:
        return SeriesSummary(average=None, peak=None, last=None, points=[])
    return SeriesSummary(average=round(sum(values) / len(values), 1), peak=max(values), last=values[-1],
                         points=points[-30:])


@tool(title="Instance utilisation metrics", effects={Effect.READ})
async def get_instance_metrics(
    ctx: Context,
    instance_id: InstanceId,
    minutes: Annotated[int, Field(ge=2, le=1440)] = 15,
    interval_seconds: Annotated[int, Field(ge=16, le=3600)] = 60,
) -> Reply[InstanceMetricsView]:
    """CPU, memory, disk and GPU use (%) of a running instance lately."""
    app = services(ctx)
    end = int(app.guard.clock())
    start = end - minutes * 60
    m = await app.client.gpu.metrics(instance_id, start_time=start, end_time=end, interval=interval_seconds)
    view = InstanceMetricsView(
        instance_id=instance_id, window_start=iso(start), window_end=iso(end), cpu_percent=_series(m.cpu),
        memory_percent=_series(m.memory), root_disk_percent=_series(m.root_disk), gpu_percent=_series(m.gpu.avg),
        gpu_memory_percent=_series(m.gpu_memory.avg), gpu_count=len(m.gpu.gpu_ids))
    if view.gpu_percent.average is None and view.cpu_percent.average is None:
        text = f"No metrics for {instance_id} in the last {minutes} min (it was not running)."
    else:
        text = (f"{instance_id}, last {minutes} min: GPU avg {view.gpu_percent.average}% (peak {view.gpu_percent.peak}%),"
                f" GPU memory avg {view.gpu_memory_percent.average}%, CPU avg {view.cpu_percent.average}%, "
                f"memory avg {view.memory_percent.average}%.")
    return Reply(view, text)
