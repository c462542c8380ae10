"""Toolset ``network``: VPC networks that GPU instances join with ``networkId`` (off by default).

Networks cost nothing, so creating and renaming are declared billable with a $0 quote (they run
without asking); deleting is destructive and confirmed, and is refused while instances use it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from novita_mcp import ids
from novita_mcp.client.network import Network
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
)
from novita_mcp.tools._common import Deleted, Limit, MaxWait, Offset, Page, iso, paged
from novita_mcp.tools._polling import wait_until

__all__ = ["list_networks", "get_network", "create_network", "rename_network", "delete_network"]

NetworkId = ids.NetworkId
Name = Annotated[str, Field(description="Network name, 1-30 characters.", min_length=1, max_length=30)]
FREE = Quote(Decimal(0), "VPC networks are free")


class Attachment(BaseModel):
    instance_id: str
    ip: str


class NetworkView(BaseModel):
    id: str
    name: str
    state: str = Field(description="creating | ready")
    cluster_id: str
    segment: str = Field(description="The network's CIDR block.")
    instances: list[Attachment] = Field(description="Instances on this network (at most 50 shown).")
    created: str


def _view(net: Network) -> NetworkView:
    return NetworkView(id=net.id, name=net.name, state=net.state, cluster_id=net.cluster_id, segment=net.segment,
                       instances=[Attachment(instance_id=a.instance_id, ip=a.ip) for a in net.addresses[:50]],
                       created=iso(net.create_time) if net.create_time else "")


def _line(v: NetworkView) -> str:
    return (f"{v.name or '(unnamed)'} ({v.id}): {v.state}, cluster {v.cluster_id}, {v.segment}, "
            f"{len(v.instances)} instance(s)")


class NetworkList(BaseModel):
    networks: list[NetworkView]
    page: Page


@tool(title="List VPC networks", effects={Effect.READ})
async def list_networks(
    ctx: Context,
    name: Annotated[str | None, Field(description="Filter: part of the name.", max_length=30)] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Reply[NetworkList]:
    """VPC networks with their cluster, CIDR block and the instances on them."""
    network = services(ctx).client.network
    items, pg = await paged(lambda size, num: network.list(page_size=size, page_num=num, name=name), offset, limit)
    views = [_view(n) for n in items]
    text = "\n".join([f"{pg.total} network(s)."] + [f"- {_line(v)}" for v in views])
    return Reply(NetworkList(networks=views, page=pg), text)


@tool(title="Get a VPC network", effects={Effect.READ})
async def get_network(ctx: Context, network_id: NetworkId, max_wait_seconds: MaxWait = 0) -> Reply[NetworkView]:
    """One VPC network; with max_wait_seconds it waits (bounded) until the network is ready."""
    client = services(ctx).client
    net, _ = await wait_until(ctx, fetch=lambda: client.network.get(network_id), done=lambda n: n.state == "ready",
                              describe=lambda n: f"network {n.state}", max_wait=max_wait_seconds)
    view = _view(net)
    return Reply(view, _line(view))


async def plan_create(app: Services, cluster_id: str, name: str) -> Plan:
    return Plan(action="Create a VPC network", target=f"network {shown(name)} in cluster {shown_id(cluster_id)}",
                quote=FREE, check="list_networks()")


@tool(title="Create a VPC network", effects={Effect.BILLABLE}, plan=plan_create)
async def create_network(
    ctx: Context,
    cluster_id: Annotated[str, Field(description="Cluster id from list_clusters; instances in it can join.",
                                     min_length=1, max_length=255)],
    name: Name,
) -> Reply[NetworkView]:
    """Create a VPC network (free) so GPU instances in one cluster share a private network."""
    view = _view(await services(ctx).client.network.create(cluster_id=cluster_id, name=name))
    return Reply(view, f"Created {_line(view)}. Pass its id as network_id when creating instances.",
                 resource_id=view.id)


async def plan_rename(app: Services, network_id: str, name: str) -> Plan:
    net = await app.client.network.get(network_id)
    return Plan(action="Rename a VPC network",
                target=f"network {shown(net.name)} ({shown_id(net.id)}) -> {shown(name)}", quote=FREE,
                check=f"get_network(network_id='{net.id}')")


@tool(title="Rename a VPC network", effects={Effect.BILLABLE}, plan=plan_rename)
async def rename_network(ctx: Context, network_id: NetworkId, name: Name, *, run: Run) -> Reply[NetworkView]:
    """Give a VPC network a new name."""
    client = services(ctx).client
    await client.network.update(network_id, name=name)
    run.done(resource_id=network_id)
    view = _view(await client.network.get(network_id))
    return Reply(view, f"Renamed: {_line(view)}.", resource_id=network_id)


async def plan_delete(app: Services, network_id: str) -> Plan:
    net = await app.client.network.get(network_id)
    if net.addresses:
        users = ", ".join(shown_id(a.instance_id) for a in net.addresses[:10])
        raise ToolError(f"Network {shown(net.name)} ({shown_id(net.id)}) is in use by instance(s) {users}; Novita "
                        "refuses to delete a network in use (NETWORK_IN_USE). Delete those instances first. Nothing "
                        "was sent.")
    return Plan(action="Delete a VPC network",
                target=f"network {shown(net.name)} ({shown_id(net.id)}) in cluster {shown_id(net.cluster_id)}, "
                       f"{shown(net.segment)}",
                irreversible="the network and its address block are removed; it cannot be undone",
                check="list_networks()")


@tool(title="Delete a VPC network", effects={Effect.DESTRUCTIVE}, plan=plan_delete)
async def delete_network(ctx: Context, network_id: NetworkId) -> Reply[Deleted]:
    """Delete a VPC network that no instance uses. Cannot be undone."""
    await services(ctx).client.network.delete(network_id)
    message = f"Deleted network {network_id}."
    return Reply(Deleted(resource_id=network_id, message=message), message, resource_id=network_id)
