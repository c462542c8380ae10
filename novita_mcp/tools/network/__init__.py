"""Toolset ``network``: VPC networks for GPU instances (``networks``).

The toolset's id, description and default are declared here, once; its tool modules are
imported only when the toolset is loaded.
"""

from __future__ import annotations

from novita_mcp.toolkit import Toolset, ToolSpec

__all__ = ["TOOLSET"]


def _tools() -> tuple[ToolSpec, ...]:
    from novita_mcp.tools.network.networks import (
        create_network,
        delete_network,
        get_network,
        list_networks,
        rename_network,
    )

    return (
        list_networks, get_network, create_network, rename_network, delete_network,
    )


TOOLSET = Toolset(
    id="network",
    description="VPC networks for GPU instances: create, rename, delete.",
    default=False,
    load=_tools,
)
