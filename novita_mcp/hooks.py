"""``Hooks``: the seams a server is built with - time, pauses, retries, DNS.

Production uses the defaults. Tests pass their own to ``build_server(..., hooks=Hooks(...))``
so that nothing sleeps for real and nothing resolves a real name: the sandbox's clock as
``clock``, a pause that advances that clock as ``sleep``, a retry policy whose backoff does
not sleep, a resolver that answers from a table.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from novita_mcp.client import RetryPolicy
    from novita_mcp.urlpolicy import Resolver

__all__ = ["Hooks", "POLL_SECONDS"]

# Seconds between two polls of a bounded wait (tasks, instances, endpoints, jobs).
POLL_SECONDS = 3.0


@dataclass(frozen=True)
class Hooks:
    """What a server takes from its surroundings instead of reaching for it.

    * ``clock``: the server's now (tokens, budgets, bill windows, waits);
    * ``sleep``: the pause between polls of a wait (``None``: a real ``anyio.sleep``);
    * ``poll_interval``: seconds between those polls (0 polls back to back);
    * ``retry``: the Novita client's retry policy (``None``: the default policy);
    * ``resolve``: DNS for the URLs arguments name (``None``: the system resolver).
    """

    clock: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] | None = None
    poll_interval: float = POLL_SECONDS
    retry: RetryPolicy | None = None
    resolve: Resolver | None = None
