"""How a sandbox instance looks on the wire (Novita docs: gpu-instance-get-instance) and its metrics (gpu-instance-get-metrics).

The quirks are deliberate: ``cpuNum``/``memory``/``gpuNum``/``endTime`` are strings,
``volumeMounts[].size`` is an int in get but a string in list, the list view leaves out
port endpoints and connection details, and ``billingMode``/``spotStatus`` may be "".
"""

from __future__ import annotations

import hashlib
from typing import Any

from novita_mcp.sandbox.gpu_lifecycle import Instance

__all__ = ["PROXY_HOST", "instance_json", "metrics_json"]

PROXY_HOST = "proxy.sandbox.novita.invalid"


def _volumes(inst: Instance, storage_sizes: dict[str, int], as_list: bool) -> list[dict[str, Any]]:
    size: Any = str(inst.rootfs) if as_list else inst.rootfs
    mounts: list[dict[str, Any]] = [{"type": "local", "size": size, "id": "", "mountPath": inst.local_mount}]
    for sid, path in inst.network_storages:
        gb = storage_sizes.get(sid, 0)
        mounts.append({"type": "network", "size": str(gb) if as_list else gb, "id": sid, "mountPath": path})
    return mounts


def instance_json(inst: Instance, now: float, *, detail: bool, storage_sizes: dict[str, int]) -> dict[str, Any]:
    status = inst.status_at(now)
    running = status == "running"
    ports: list[dict[str, Any]] = []
    for index, (port, kind) in enumerate(inst.ports):
        entry: dict[str, Any] = {"port": port, "type": kind}
        if detail:
            entry["endpoint"] = (f"https://{inst.id}-{port}.{PROXY_HOST}" if kind == "http"
                                 else f"{inst.ip}:{31000 + index}")
        ports.append(entry)
    body: dict[str, Any] = {
        "id": inst.id, "name": inst.name, "clusterId": inst.cluster_id, "clusterName": inst.cluster_name,
        "status": status, "statusError": {"state": "", "message": ""},
        "imageUrl": inst.image_url, "imageAuthId": inst.image_auth_id, "command": inst.command,
        "entrypoint": inst.entrypoint, "cpuNum": str(inst.cpu_num), "memory": str(inst.memory),
        "gpuNum": str(inst.units if inst.kind == "gpu" else 0), "productId": inst.product_id,
        "productName": inst.product_name, "rootfsSize": inst.rootfs, "portMappings": ports,
        "volumeMounts": _volumes(inst, storage_sizes, as_list=not detail), "envs": inst.envs, "kind": inst.kind,
        "billingMode": inst.billing_mode,
        "endTime": str(int(inst.end_time)) if inst.end_time > 0 else "-1",
        "spotStatus": "running" if inst.billing_mode == "spot" and running else "",
        "spotReclaimTime": "0",
        "network": {"id": inst.network_id, "ip": inst.network_ip},
    }
    if not detail:
        return body
    ssh_port = 30022 + sum(inst.id.encode()) % 1000
    jupyter = next((t for t in inst.tools if str(t.get("name", "")).lower() == "jupyter"), None)
    body.update({
        "node": [{"maxRootfsSize": inst.max_rootfs}],
        "jobs": [],
        "connectComponentSSH": {"sshCommand": f"ssh root@{inst.ip} -p {ssh_port}", "password": inst.ssh_password,
                                "isRunning": running},
        "connectComponentWebTerminal": {"address": f"https://{inst.id}-terminal.{PROXY_HOST}", "username": "root",
                                        "password": inst.ssh_password, "isRunning": running},
        "connectComponentJupyter": {
            "port": int(jupyter.get("port", 8888)) if jupyter else 0,
            "address": f"https://{inst.id}-{jupyter.get('port', 8888)}.{PROXY_HOST}/lab" if jupyter else "",
            "isRunning": running and jupyter is not None,
        },
        "connectComponentLog": {"systemLogAddress": f"https://{PROXY_HOST}/logs/{inst.id}/system",
                                "instanceLogAddress": f"https://{PROXY_HOST}/logs/{inst.id}/instance",
                                "isRunning": running},
        "freeStorageSize": max(0, inst.rootfs - 8),
        "keepDataDay": 14,
    })
    return body


def _value(instance_id: str, series: str, ts: int, low: float, high: float) -> float:
    digest = hashlib.sha256(f"{instance_id}:{series}:{ts}".encode()).digest()
    return round(low + (high - low) * int.from_bytes(digest[:2], "big") / 65535, 1)


def metrics_json(inst: Instance, start: int, end: int, interval: int) -> dict[str, Any]:
    """Utilisation points while the instance ran; timestamps are strings, values percentages."""
    if (end - start) // interval > 1000:  # keep a response small: coarsen the interval
        interval = (end - start) // 1000 + 1
    stamps = [ts for ts in range(start, end + 1, interval) if inst.status_at(ts) == "running"]

    def series(name: str, low: float, high: float) -> list[dict[str, Any]]:
        return [{"timestamp": str(ts), "value": _value(inst.id, name, ts, low, high)} for ts in stamps]

    def per_gpu(name: str, low: float, high: float) -> dict[str, Any]:
        gpus = inst.units if inst.kind == "gpu" else 0
        ids: list[dict[str, Any]] = [{"gpuId": str(n), "items": series(f"{name}{n}", low, high)} for n in range(gpus)]
        avg = [{"timestamp": str(ts), "value": round(sum(g["items"][i]["value"] for g in ids) / len(ids), 1)}
               for i, ts in enumerate(stamps)] if ids else []
        return {"avg": avg, "gpuIds": ids}

    return {
        "cpuUtilization": series("cpu", 5, 60),
        "memUtilization": series("mem", 20, 70),
        "rootDiskUtilization": series("disk", 5, 30),
        "gpuUtilization": per_gpu("gpu", 40, 100),
        "gpuMemUtilization": per_gpu("gpumem", 30, 95),
    }
