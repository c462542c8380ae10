"""Read tools of the ``gpu`` toolset: instance templates, to pass to create_instance as template_id.

Creating and deleting templates is the ``gpu_resources`` toolset's (off by default).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from novita_mcp import ids
from novita_mcp.client.gpu_resources import Template
from novita_mcp.toolkit import Context, Effect, Reply, services, tool
from novita_mcp.tools._common import Limit, Offset, Page, iso, page

__all__ = ["get_template", "list_templates", "TemplateView"]

ResourceId = ids.GpuResourceId


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
