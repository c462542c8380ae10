"""The toolset registry, derived from the packages under ``novita_mcp/tools``.

Each toolset is a package named by its id whose ``__init__`` declares ``TOOLSET`` (id,
description, default, and how to load its tools) - once. Here only the order they are listed
in (docs, ``tools/list``) is written; a package missing from it, or an id that is not its
package's name, stops the import.
"""

from __future__ import annotations

import importlib
import pkgutil

import novita_mcp.tools
from novita_mcp.toolkit import Toolset

__all__ = ["TOOLSETS", "ORDER", "select_toolsets"]

ORDER = ("account", "llm", "batch", "media", "gpu", "gpu_resources", "serverless", "dedicated", "network", "training")


def _discover() -> tuple[Toolset, ...]:
    packages = {m.name for m in pkgutil.iter_modules(novita_mcp.tools.__path__) if m.ispkg}
    if packages != set(ORDER):
        raise RuntimeError(f"toolset packages {sorted(packages)} differ from the registry's order {sorted(ORDER)}")
    found = []
    for name in ORDER:
        toolset = importlib.import_module(f"{novita_mcp.tools.__name__}.{name}").TOOLSET
        if not isinstance(toolset, Toolset) or toolset.id != name:
            raise RuntimeError(f"package tools/{name} must declare TOOLSET = Toolset(id={name!r}, ...)")
        found.append(toolset)
    return tuple(found)


TOOLSETS: tuple[Toolset, ...] = _discover()


def select_toolsets(requested: list[str] | None) -> list[Toolset]:
    """The toolsets to expose. Raises ValueError naming any unknown id and the allowed ones.

    ``default`` names the default toolsets (so a config can switch to ``all`` by one word) and
    may be combined with ids (``default,batch``); ids are case-insensitive.
    """
    known = {t.id: t for t in TOOLSETS}
    wanted = [r.strip().lower() for r in requested or [] if r.strip()]
    if not wanted:
        wanted = ["default"]
    if "all" in wanted:
        return list(TOOLSETS)
    unknown = [r for r in wanted if r not in known and r != "default"]
    if unknown:
        raise ValueError(f"unknown toolset {', '.join(map(repr, unknown))}; choose from: "
                         f"{', '.join(known)} (or 'default', 'all')")
    ids = {t.id for t in TOOLSETS if t.default} if "default" in wanted else set()
    ids |= set(wanted)
    return [t for t in TOOLSETS if t.id in ids]
