"""Toolset ``gpu``: find GPUs and prices, run instances through their lifecycle, watch the spend.

The tools live in ``gpu_catalog`` (clusters, products), ``gpu_instances`` (read),
``gpu_watch`` (wait, spend), ``gpu_ops`` (guarded lifecycle) and ``gpu_resources``
(templates). CPU-only instances are created with ``create_instance(kind="cpu")``.
"""

from __future__ import annotations

from novita_mcp.toolkit import Toolset
from novita_mcp.tools.gpu_catalog import (
    list_clusters,
    list_cpu_products,
    list_gpu_products,
)
from novita_mcp.tools.gpu_instances import (
    get_instance,
    get_instance_metrics,
    list_instances,
)
from novita_mcp.tools.gpu_ops import (
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
from novita_mcp.tools.gpu_resources import get_template, list_templates
from novita_mcp.tools.gpu_watch import get_spend_now, wait_for_instance

__all__ = ["TOOLSET"]

TOOLSET = Toolset(
    id="gpu",
    description="GPU and CPU instances: products and prices, create, lifecycle, metrics, spend.",
    default=True,
    tools=(
        list_gpu_products, list_cpu_products, list_clusters, list_templates, get_template,
        list_instances, get_instance, get_instance_metrics, wait_for_instance, get_spend_now,
        create_instance, start_instance, stop_instance, restart_instance, delete_instance,
        edit_instance, upgrade_instance, migrate_instance, renew_instance, convert_instance_to_monthly,
    ),
)
