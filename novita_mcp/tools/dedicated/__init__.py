"""Toolset ``dedicated``: dedicated LLM endpoints (``endpoints``).

The toolset's id, description and default are declared here, once; its tool modules are
imported only when the toolset is loaded.
"""

from __future__ import annotations

from novita_mcp.toolkit import Toolset, ToolSpec

__all__ = ["TOOLSET"]


def _tools() -> tuple[ToolSpec, ...]:
    from novita_mcp.tools.dedicated.endpoints import (
        create_dedicated_endpoint,
        delete_dedicated_endpoint,
        get_dedicated_endpoint,
        list_dedicated_endpoints,
        list_dedicated_templates,
        scale_dedicated_endpoint,
        wait_for_dedicated_endpoint,
    )

    return (
        list_dedicated_templates, list_dedicated_endpoints, get_dedicated_endpoint, wait_for_dedicated_endpoint,
        create_dedicated_endpoint, scale_dedicated_endpoint, delete_dedicated_endpoint,
    )


TOOLSET = Toolset(
    id="dedicated",
    description="Dedicated LLM endpoints: templates, create, scale, delete.",
    default=False,
    load=_tools,
)
