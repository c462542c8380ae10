"""Toolset ``gpu_resources`` (off by default): templates, network storage, registry credentials.

``list_templates`` and ``get_template`` are declared here but belong to the default ``gpu``
toolset, since create_instance starts from templates. Creating a template or saving
registry credentials costs nothing; they are declared billable with a $0 quote so that
they are audited, hidden in read-only mode and still run without asking.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, SecretStr

from novita_mcp import ids
from novita_mcp.client.gpu_resources import Template
from novita_mcp.pricing.gpu import (
    NETWORK_STORAGE_USD_PER_GB_DAY,
    network_storage_usd_per_month,
)
from novita_mcp.toolkit import (
    Context,
    Effect,
    Plan,
    Quote,
    Reply,
    Run,
    Services,
    Toolset,
    services,
    shown,
    shown_id,
    tool,
    usd,
)
from novita_mcp.tools._common import MAX_LIMIT, Page, iso, page
from novita_mcp.tools._gpu_common import PortSpec, parse_ports

__all__ = ["TOOLSET", "get_template", "list_templates"]

ResourceId = ids.GpuResourceId
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Field(ge=0, le=10_000)]
FREE = Quote(Decimal(0), "free")


class TemplateView(BaseModel):
    template_id: str
    name: str
    channel: str = Field(description="private (yours), official or community.")
    image: str
    start_command: str
    rootfs_gb: int
    ports: list[str]
    envs: dict[str, str]
    readme: str = Field(description="First 500 characters.")
    created: str


def _template_view(t: Template) -> TemplateView:
    return TemplateView(template_id=t.id, name=t.name, channel=t.channel, image=t.image, start_command=t.start_command,
                        rootfs_gb=t.rootfs_size, ports=[f"{p}/{k}" for p, k in t.port_list()],
                        envs={e.key: e.value for e in t.envs}, readme=t.readme[:500], created=iso(t.create_time))


class Templates(BaseModel):
    templates: list[TemplateView]
    page: Page


@tool(title="List instance templates", effects={Effect.READ})
async def list_templates(
    ctx: Context,
    channel: Annotated[Literal["all", "private", "official", "community"],
                       Field(description="private = your own templates.")] = "all",
    name: Annotated[str | None, Field(description="Part of it, e.g. 'vllm'.", max_length=255)] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Reply[Templates]:
    """Instance templates (image, ports, env, command) for create_instance."""
    resources = services(ctx).client.gpu.resources
    channels = None if channel == "all" else [channel]
    raw = await resources.list_templates(page_size=100, page_num=0, name=name, type="instance", channel=channels)
    chunk, pg = page([_template_view(t) for t in raw.template], offset, limit)
    lines = [f"- {t.template_id} '{t.name}' ({t.channel}): {t.image}" for t in chunk]
    return Reply(Templates(templates=chunk, page=pg), "\n".join([f"{pg.total} template(s).", *lines]))


@tool(title="Get a template", effects={Effect.READ})
async def get_template(ctx: Context, template_id: ResourceId) -> Reply[TemplateView]:
    """One template with its image, start command, ports and environment."""
    view = _template_view(await services(ctx).client.gpu.resources.get_template(template_id))
    return Reply(view, f"Template {view.template_id} '{view.name}': {view.image} {view.start_command}".strip())


class Created(BaseModel):
    resource_id: str
    name: str
    detail: str


async def _plan_free(action: str, target: str) -> Plan:
    return Plan(action=action, target=target, quote=FREE)


async def plan_create_template(app: Services, name: str, image: str, ports: list[str] | None = None) -> Plan:
    parse_ports(ports)
    return await _plan_free("Create a private template", f"new template {shown(name)} ({shown(image)})")


@tool(title="Create a template", effects={Effect.BILLABLE}, plan=plan_create_template)
async def create_template(
    ctx: Context,
    name: Annotated[str, Field(min_length=1, max_length=255)],
    image: Annotated[str, Field(min_length=1, max_length=500, description="Container image.")],
    start_command: Annotated[str, Field(max_length=2047, description="Command run at start.")] = "",
    rootfs_gb: Annotated[int, Field(ge=10, le=6144, description="System disk GB.")] = 60,
    ports: Annotated[list[PortSpec] | None, Field(max_length=20, description="e.g. ['8000/http']")] = None,
    env: Annotated[dict[str, Annotated[str, Field(max_length=4095)]] | None, Field(max_length=100)] = None,
    readme: Annotated[str, Field(max_length=10_000)] = "",
    *,
    run: Run,
) -> Reply[Created]:
    """Save a private template (free) to start instances from later with create_instance(template_id=...)."""
    template_id = await services(ctx).client.gpu.resources.create_template(
        name=name, image=image, readme=readme, start_command=start_command, rootfs_size=rootfs_gb,
        ports=parse_ports(ports), envs=env)
    run.done(resource_id=template_id)
    return Reply(Created(resource_id=template_id, name=name, detail=image),
                 f"Created template {template_id} '{name}'.", resource_id=template_id)


class Deleted(BaseModel):
    resource_id: str
    name: str
    deleted: bool


async def plan_delete_template(app: Services, template_id: str) -> Plan:
    t = await app.client.gpu.resources.get_template(template_id)
    if t.channel != "private":
        raise ToolError(f"Template {t.id} '{t.name}' is {t.channel}; only your private templates can be deleted. "
                        "Nothing was sent.")
    return Plan(action="Delete a template", target=f"template {shown_id(t.id)} {shown(t.name)} ({shown(t.image)})",
                irreversible="the template is deleted for good (instances created from it are not affected)",
                facts=t, check=f"get_template(template_id='{t.id}')")


@tool(title="Delete a template", effects={Effect.DESTRUCTIVE}, plan=plan_delete_template)
async def delete_template(ctx: Context, template_id: ResourceId, *, run: Run) -> Reply[Deleted]:
    """Delete one of your private templates."""
    resources = services(ctx).client.gpu.resources
    name = run.plan.facts.name
    await resources.delete_template(template_id)
    return Reply(Deleted(resource_id=template_id, name=name, deleted=True), f"Deleted template {template_id} '{name}'.",
                 resource_id=template_id)


class StorageView(BaseModel):
    storage_id: str
    name: str
    size_gb: int
    cluster: str
    usd_per_month: Decimal


class Storages(BaseModel):
    storages: list[StorageView]
    page: Page


@tool(title="List network storage", effects={Effect.READ})
async def list_network_storage(ctx: Context, limit: Limit = 20, offset: Offset = 0) -> Reply[Storages]:
    """Network (cloud) storage volumes: size, cluster and monthly cost ($0.002/GB/day)."""
    raw = await services(ctx).client.gpu.resources.list_storages(page_size=100)
    rows = [StorageView(storage_id=s.storage_id, name=s.storage_name, size_gb=s.storage_size,
                        cluster=f"{s.cluster_id} {s.cluster_name}", usd_per_month=network_storage_usd_per_month(s.storage_size))
            for s in raw.data]
    chunk, pg = page(rows, offset, limit)
    lines = [f"- {s.storage_id} '{s.name}': {s.size_gb} GB in {s.cluster}, {usd(s.usd_per_month)}/month" for s in chunk]
    return Reply(Storages(storages=chunk, page=pg), "\n".join([f"{pg.total} volume(s).", *lines]))


async def plan_create_storage(app: Services, name: str, size_gb: int, cluster_id: str) -> Plan:
    per_month = network_storage_usd_per_month(size_gb)
    quote = Quote(per_month, f"{size_gb} GB x ${NETWORK_STORAGE_USD_PER_GB_DAY}/GB/day x 30 days, charged per second "
                             "until deleted", "month")

    async def find() -> str | None:
        named = [v.storage_id for v in (await app.client.gpu.resources.list_storages(page_size=100, name=name)).data
                 if v.storage_name == name]
        return named[-1] if named else None

    return Plan(action="Create network storage",
                target=f"new volume {shown(name)} ({size_gb} GB) in cluster {shown_id(cluster_id)}", quote=quote,
                check=f"list_network_storage() for a volume named {shown(name)}", find=find)


@tool(title="Create network storage", effects={Effect.BILLABLE}, plan=plan_create_storage)
async def create_network_storage(
    ctx: Context,
    name: Annotated[str, Field(min_length=1, max_length=255)],
    size_gb: Annotated[int, Field(ge=10, le=10_240, description="Size in GB (10-10240).")],
    cluster_id: Annotated[str, Field(min_length=1, max_length=64, description="A cluster with network storage "
                                                                              "(list_clusters).")],
    *,
    run: Run,
) -> Reply[StorageView]:
    """Create a network storage volume that instances in the same cluster can mount; billed until deleted."""
    resources = services(ctx).client.gpu.resources
    before = {s.storage_id for s in (await resources.list_storages(page_size=100)).data}
    await resources.create_storage(cluster_id=cluster_id, name=name, size_gb=size_gb)
    run.done()
    after = (await resources.list_storages(page_size=100, name=name)).data
    made = next((s for s in after if s.storage_id not in before), None)
    view = StorageView(storage_id=made.storage_id if made else "", name=name, size_gb=size_gb,
                       cluster=f"{cluster_id} {made.cluster_name if made else ''}".strip(),
                       usd_per_month=network_storage_usd_per_month(size_gb))
    return Reply(view, f"Created network storage {view.storage_id} '{name}' ({size_gb} GB, "
                       f"{usd(view.usd_per_month)}/month).", resource_id=view.storage_id or None)


async def plan_delete_storage(app: Services, storage_id: str) -> Plan:
    found = await app.client.gpu.resources.get_storage(storage_id)
    if found is None:
        raise ToolError(f"No network storage {shown(storage_id)}; see list_network_storage. Nothing was sent.")
    return Plan(action="Delete network storage",
                target=f"volume {shown_id(found.storage_id)} {shown(found.storage_name)} ({found.storage_size} GB, "
                       f"{shown(found.cluster_name)})",
                irreversible="every file on the volume is deleted for good", facts=found,
                check="list_network_storage()")


@tool(title="Delete network storage", effects={Effect.DESTRUCTIVE}, plan=plan_delete_storage)
async def delete_network_storage(ctx: Context, storage_id: ResourceId, *, run: Run) -> Reply[Deleted]:
    """Delete a network storage volume and its files (not possible while an instance mounts it)."""
    resources = services(ctx).client.gpu.resources
    await resources.delete_storage(storage_id)
    name = run.plan.facts.storage_name
    return Reply(Deleted(resource_id=storage_id, name=name, deleted=True),
                 f"Deleted network storage {storage_id} '{name}'.", resource_id=storage_id)


class RegistryAuthView(BaseModel):
    auth_id: str
    registry: str
    username: str


class RegistryAuths(BaseModel):
    credentials: list[RegistryAuthView] = Field(description="Passwords are never returned.")


@tool(title="List registry credentials", effects={Effect.READ})
async def list_registry_auths(ctx: Context) -> Reply[RegistryAuths]:
    """Saved container-registry credentials (for private images); passwords are never shown."""
    raw = await services(ctx).client.gpu.resources.registry_auths()
    items = [RegistryAuthView(auth_id=a.id, registry=a.name, username=a.username) for a in raw]
    text = "\n".join([f"{len(items)} credential(s)."] + [f"- {a.auth_id}: {a.username}@{a.registry}" for a in items])
    return Reply(RegistryAuths(credentials=items[:MAX_LIMIT]), text)


async def plan_create_auth(app: Services, registry: str, username: str) -> Plan:
    return await _plan_free("Save registry credentials", f"{shown(username)} at {shown(registry)}")


@tool(title="Save registry credentials", effects={Effect.BILLABLE}, plan=plan_create_auth)
async def create_registry_auth(
    ctx: Context,
    registry: Annotated[str, Field(min_length=1, max_length=255, description="Registry host, e.g. 'ghcr.io'.")],
    username: Annotated[str, Field(min_length=1, max_length=255)],
    password: Annotated[SecretStr, Field(min_length=1, max_length=4096, description="Password or access token; "
                                                                                   "never echoed back.")],
    *,
    run: Run,
) -> Reply[RegistryAuthView]:
    """Save credentials for a private container registry; use the returned auth_id in create_instance."""
    resources = services(ctx).client.gpu.resources
    before = {a.id for a in await resources.registry_auths()}
    await resources.save_registry_auth(registry=registry, username=username, password=password)
    run.done()
    made = next((a for a in await resources.registry_auths() if a.id not in before), None)
    view = RegistryAuthView(auth_id=made.id if made else "", registry=registry, username=username)
    return Reply(view, f"Saved credentials {view.auth_id} for {username}@{registry} (password not shown).",
                 resource_id=view.auth_id or None)


async def plan_delete_auth(app: Services, auth_id: str) -> Plan:
    auths = await app.client.gpu.resources.registry_auths()
    found = next((a for a in auths if a.id == auth_id), None)
    if found is None:
        raise ToolError(f"No registry credentials {shown(auth_id)}; see list_registry_auths. Nothing was sent.")
    return Plan(action="Delete registry credentials",
                target=f"credentials {shown_id(found.id)} ({shown(found.username)} at {shown(found.name)})",
                irreversible="instances can no longer pull private images with these credentials")


@tool(title="Delete registry credentials", effects={Effect.DESTRUCTIVE}, plan=plan_delete_auth)
async def delete_registry_auth(ctx: Context, auth_id: ResourceId) -> Reply[Deleted]:
    """Delete saved registry credentials (not possible while an instance uses them)."""
    await services(ctx).client.gpu.resources.delete_registry_auth(auth_id)
    return Reply(Deleted(resource_id=auth_id, name="", deleted=True), f"Deleted credentials {auth_id}.",
                 resource_id=auth_id)


TOOLSET = Toolset(
    id="gpu_resources",
    description="Templates, network storage and container-registry credentials for GPU instances.",
    default=False,
    tools=(create_template, delete_template, list_network_storage, create_network_storage, delete_network_storage,
           list_registry_auths, create_registry_auth, delete_registry_auth),
)
