"""Toolset ``serverless``: serverless GPU endpoints (``endpoints``) and their async jobs (``jobs``).

The toolset's id, description and default are declared here, once; its tool modules are
imported only when the toolset is loaded.
"""

from __future__ import annotations

from novita_mcp.toolkit import Toolset, ToolSpec

__all__ = ["TOOLSET"]


def _tools() -> tuple[ToolSpec, ...]:
    from novita_mcp.tools.serverless.endpoints import (
        create_serverless_endpoint,
        delete_serverless_endpoint,
        get_serverless_endpoint,
        list_serverless_endpoints,
        update_serverless_endpoint,
        wait_for_serverless_endpoint,
    )
    from novita_mcp.tools.serverless.jobs import cancel_serverless_job, get_serverless_job, run_serverless_job

    return (
        list_serverless_endpoints, get_serverless_endpoint, wait_for_serverless_endpoint, create_serverless_endpoint,
        update_serverless_endpoint, delete_serverless_endpoint, run_serverless_job, get_serverless_job,
        cancel_serverless_job,
    )


TOOLSET = Toolset(
    id="serverless",
    description="Serverless GPU endpoints: create, scale, delete; run async jobs.",
    default=False,
    load=_tools,
)
