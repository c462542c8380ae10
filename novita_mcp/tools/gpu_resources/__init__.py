"""Toolset ``gpu_resources``: templates, network storage and registry credentials (``resources``).

The toolset's id, description and default are declared here, once; its tool modules are
imported only when the toolset is loaded.
"""

from __future__ import annotations

from novita_mcp.toolkit import Toolset, ToolSpec

__all__ = ["TOOLSET"]


def _tools() -> tuple[ToolSpec, ...]:
    from novita_mcp.tools.gpu_resources.resources import (
        create_network_storage,
        create_registry_auth,
        create_template,
        delete_network_storage,
        delete_registry_auth,
        delete_template,
        list_network_storage,
        list_registry_auths,
    )

    return (
        create_template, delete_template, list_network_storage, create_network_storage, delete_network_storage,
        list_registry_auths, create_registry_auth, delete_registry_auth,
    )


TOOLSET = Toolset(
    id="gpu_resources",
    description="Templates, network storage, registry credentials.",
    default=False,
    load=_tools,
)
