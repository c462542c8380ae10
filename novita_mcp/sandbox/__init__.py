"""The Novita simulator: a stateful ASGI app faithful to Novita's documented API (docs/coverage.md), charging real (fake) money.

>>> sandbox = Sandbox(clock=ManualClock())           # doctest: +SKIP
>>> client = NovitaClient(api_key=sandbox.api_key, base_url=sandbox.base_url,
...                       transport=sandbox.transport())   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import httpx

from novita_mcp.sandbox.app import SandboxTransport, build_app
from novita_mcp.sandbox.clock import Clock, ManualClock, SystemClock
from novita_mcp.sandbox.errors import SandboxError
from novita_mcp.sandbox.faults import FaultPlan, FaultRule
from novita_mcp.sandbox.seed import SEED_BALANCE_USD, seed_account
from novita_mcp.sandbox.state import Charge, RequestRecord, SandboxState
from novita_mcp.settings import SANDBOX_BASE_URL

__all__ = [
    "Sandbox",
    "SandboxState",
    "SandboxError",
    "ManualClock",
    "SystemClock",
    "Clock",
    "FaultRule",
    "FaultPlan",
    "Charge",
    "RequestRecord",
    "SEED_BALANCE_USD",
]


class Sandbox:
    """One simulated Novita account: state, faults and the app that serves them."""

    def __init__(self, *, clock: Clock | None = None, api_key: str | None = None, seed: bool = True) -> None:
        self.state = SandboxState(clock=clock or SystemClock())
        if api_key is not None:
            self.state.api_key = api_key
        self.faults = FaultPlan()
        self.app = build_app(self.state, self.faults)
        if seed:
            seed_account(self.state)
            for domain in self.state.domains.values():
                seed_domain = getattr(domain, "seed", None)
                if seed_domain is not None:
                    seed_domain()
        self.base_url = SANDBOX_BASE_URL

    @property
    def api_key(self) -> str:
        return self.state.api_key

    @property
    def clock(self) -> Clock:
        return self.state.clock

    def transport(self) -> httpx.AsyncBaseTransport:
        """An in-process transport: no sockets, yet drops and timeouts behave like a network's."""
        return SandboxTransport(app=self.app, root_path="")

    def advance(self, seconds: float) -> None:
        self.state.advance(seconds)

    def domain(self, name: str) -> Any:
        return self.state.domains[name]

    def __repr__(self) -> str:
        return f"Sandbox(balance_usd={self.state.balance_usd})"
