"""Toolset ``gpu``: find GPUs and prices, run instances through their lifecycle, watch the spend.

The tools live in ``catalog`` (clusters, products), ``instances`` (read), ``watch`` (wait,
spend), ``ops`` (guarded lifecycle, priced by ``plans``) and ``templates`` (read). CPU-only
instances are created with ``create_instance(kind="cpu")``.

The toolset's id, description and default are declared here, once; its tool modules are
imported only when the toolset is loaded.
"""

from __future__ import annotations

from novita_mcp.toolkit import Toolset, ToolSpec

__all__ = ["TOOLSET"]


def _tools() -> tuple[ToolSpec, ...]:
    from novita_mcp.tools.gpu.catalog import (
        list_clusters,
        list_cpu_products,
        list_gpu_products,
    )
    from novita_mcp.tools.gpu.instances import (
        get_instance,
        get_instance_metrics,
        list_instances,
    )
    from novita_mcp.tools.gpu.ops import (
        convert_instance_to_monthly,
        create_instance,
        delete_instance,
        edit_instance,
        migrate_instance,
        renew_instance,
        restart_instance,
        start_instance,
        stop_instance,
        upgrade_instance,
    )
    from novita_mcp.tools.gpu.templates import get_template, list_templates
    from novita_mcp.tools.gpu.watch import get_spend_now, wait_for_instance

    return (
        list_gpu_products, list_cpu_products, list_clusters, list_templates, get_template,
        list_instances, get_instance, get_instance_metrics, wait_for_instance, get_spend_now,
        create_instance, start_instance, stop_instance, restart_instance, delete_instance,
        edit_instance, upgrade_instance, migrate_instance, renew_instance, convert_instance_to_monthly,
    )


TOOLSET = Toolset(
    id="gpu",
    description="GPU/CPU instances: prices, create, start/stop/delete, wait, metrics, spend now.",
    default=True,
    load=_tools,
)
