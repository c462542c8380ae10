"""Templates, network storage and container-registry auth (REFERENCE.md §6.8, §6.9, §6.11).

Quirks kept: templates use a capital ``Id``; template ports come back as ints (create
accepts strings); network storage pages with ``pageNo``; create storage answers a bare
string. Registry passwords are held as ``SecretStr`` and never shown by ``repr``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr

from novita_mcp.client._http import HTTPCore
from novita_mcp.client._models import APIModel, LooseInt, LooseStr
from novita_mcp.client.gpu_models import EnvVar
from novita_mcp.ids import GPU_RESOURCE, check_id

__all__ = [
    "GpuResourcesAPI",
    "NetworkStorage",
    "RegistryAuth",
    "StoragePage",
    "Template",
    "TemplateChannel",
    "TemplatePage",
    "TemplatePorts",
    "TemplateVolume",
]

_PREFIX = "/gpu-instance/openapi/v1"
TemplateChannel = Literal["private", "community", "official"]


class TemplatePorts(APIModel):
    type: LooseStr = ""
    ports: list[LooseInt] = Field(default_factory=list)


class TemplateVolume(APIModel):
    type: LooseStr = ""
    size: LooseInt = 0
    mount_path: LooseStr = Field("", alias="mountPath")


class Template(APIModel):
    id: LooseStr = Field("", alias="Id")
    user: LooseStr = ""
    name: LooseStr = ""
    readme: LooseStr = ""
    type: LooseStr = ""
    channel: LooseStr = ""
    image: LooseStr = ""
    image_auth: LooseStr = Field("", alias="imageAuth")
    start_command: LooseStr = Field("", alias="startCommand")
    entrypoint: LooseStr = ""
    min_cuda_version: LooseStr = Field("", alias="minCudaVersion")
    rootfs_size: LooseInt = Field(0, alias="rootfsSize")
    ports: list[TemplatePorts] = Field(default_factory=list)
    volumes: list[TemplateVolume] = Field(default_factory=list)
    envs: list[EnvVar] = Field(default_factory=list)
    create_time: LooseStr = Field("", alias="createTime")

    def port_list(self) -> list[tuple[int, str]]:
        return [(p, group.type) for group in self.ports for p in group.ports]


class TemplatePage(APIModel):
    template: list[Template] = Field(default_factory=list)
    total: LooseInt = 0


class NetworkStorage(APIModel):
    storage_id: LooseStr = Field("", alias="storageId")
    storage_name: LooseStr = Field("", alias="storageName")
    storage_size: LooseInt = Field(0, alias="storageSize")
    cluster_id: LooseStr = Field("", alias="clusterId")
    cluster_name: LooseStr = Field("", alias="clusterName")
    price: LooseStr = ""  # unit undocumented (§11 open question 2); not used for quotes


class StoragePage(APIModel):
    data: list[NetworkStorage] = Field(default_factory=list)
    total: LooseInt = 0


class RegistryAuth(APIModel):
    id: LooseStr = ""
    name: LooseStr = ""
    username: LooseStr = ""
    password: SecretStr = SecretStr("")


class GpuResourcesAPI:
    """``client.gpu.resources``."""

    def __init__(self, http: HTTPCore) -> None:
        self._http = http

    async def _get(self, path: str, **params: Any) -> Any:
        return await self._http.request("GET", _PREFIX + path, params=params)

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        return await self._http.request("POST", _PREFIX + path, json_body=body)

    # --- templates ------------------------------------------------------------------------
    async def list_templates(self, *, page_size: int = 50, page_num: int = 0, name: str | None = None,
                             type: str | None = None, channel: list[TemplateChannel] | None = None) -> TemplatePage:
        body = await self._get("/templates", pageSize=page_size, pageNum=page_num, name=name, type=type,
                               channel=",".join(channel) if channel else None)
        return TemplatePage.model_validate(body)

    async def get_template(self, template_id: str) -> Template:
        body = await self._get("/template", templateId=check_id(GPU_RESOURCE, template_id))
        return Template.model_validate(body.get("template") or {})

    async def create_template(self, *, name: str, image: str, readme: str = "", start_command: str = "",
                              rootfs_size: int = 60, ports: list[tuple[int, str]] | None = None,
                              envs: dict[str, str] | None = None, image_auth: str = "",
                              local_volume_size: int | None = None, local_volume_mount: str = "/workspace") -> str:
        groups: dict[str, list[str]] = {}
        for port, kind in ports or []:
            groups.setdefault(kind, []).append(str(port))  # the docs' create example sends strings
        template: dict[str, Any] = {
            "name": name, "readme": readme, "type": "instance", "channel": "private", "image": image,
            "imageAuth": image_auth, "startCommand": start_command, "rootfsSize": rootfs_size,
            "ports": [{"type": k, "ports": v} for k, v in groups.items()],
            "envs": [{"key": k, "value": v} for k, v in (envs or {}).items()],
            "volumes": [{"type": "local", "size": local_volume_size, "mountPath": local_volume_mount}]
            if local_volume_size else [],
        }
        body = await self._post("/template/create", {"template": template})
        return str(body.get("templateId", ""))

    async def delete_template(self, template_id: str) -> None:
        await self._post("/template/delete", {"templateId": template_id})

    # --- network storage --------------------------------------------------------------------
    async def create_storage(self, *, cluster_id: str, name: str, size_gb: int) -> None:
        await self._post("/networkstorage/create", {"clusterId": cluster_id, "storageName": name, "storageSize": size_gb})

    async def list_storages(self, *, page_no: int = 1, page_size: int = 50, name: str | None = None,
                            storage_id: str | None = None) -> StoragePage:
        body = await self._get("/networkstorages/list", pageNo=page_no, pageSize=page_size, storageName=name,
                               storageId=storage_id)
        return StoragePage.model_validate(body)

    async def get_storage(self, storage_id: str) -> NetworkStorage | None:
        page = await self.list_storages(storage_id=storage_id)
        return next((s for s in page.data if s.storage_id == storage_id), None)

    async def update_storage(self, *, storage_id: str, name: str, size_gb: int) -> None:
        await self._post("/networkstorage/update", {"storageId": storage_id, "storageName": name,
                                                    "storageSize": size_gb})

    async def delete_storage(self, storage_id: str) -> None:
        await self._post("/networkstorage/delete", {"storageId": storage_id})

    # --- registry auth ----------------------------------------------------------------------
    async def save_registry_auth(self, *, registry: str, username: str, password: SecretStr) -> None:
        await self._post("/repository/auth/save", {"name": registry, "username": username,
                                                   "password": password.get_secret_value()})

    async def registry_auths(self) -> list[RegistryAuth]:
        body = await self._get("/repository/auths")
        return [RegistryAuth.model_validate(a) for a in body.get("data") or []]

    async def delete_registry_auth(self, auth_id: str) -> None:
        await self._post("/repository/auth/delete", {"id": auth_id})
