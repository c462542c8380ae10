"""How a tool is declared, and what it may reach: the public surface for toolset modules.

A toolset module writes plain typed async functions and declares each one once::

    @tool(title="Get balance", effects={Effect.READ})
    async def get_balance(ctx: Context) -> Reply[Balance]:
        \"\"\"What the model reads.\"\"\"
        bal = await services(ctx).client.account.balance()
        return Reply(Balance(...), "Balance: $12.34")

    @tool(title="Create instance", effects={Effect.BILLABLE}, plan=plan_create)
    async def create_instance(ctx: Context, name: str, ...) -> Reply[Instance]: ...

``effects`` is the only declaration: the MCP annotations, read-only filtering and the
guardrail all follow from it. A non-read tool must give ``plan``: an async function
``(services, **arguments) -> Plan`` taking the tool's own arguments by name (those it
needs), that computes the action, target and quote on the server. Its body may take a
``run: Run`` parameter: ``run.plan`` is that plan (with the facts it read, so nothing is
read twice), and ``run.done(...)`` records the action as carried out the moment Novita
accepted it, before any follow-up read.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ContentBlock, TextContent, ToolAnnotations
from pydantic import BaseModel

from novita_mcp.guard.plan import Effect, Plan, Quote, shown, shown_id, usd
from novita_mcp.hooks import Hooks

if TYPE_CHECKING:
    from novita_mcp.client import NovitaClient
    from novita_mcp.client.llm import LLMModel
    from novita_mcp.guard.guard import Guard
    from novita_mcp.settings import Settings

__all__ = [
    "tool",
    "ToolSpec",
    "Toolset",
    "Reply",
    "Services",
    "services",
    "Effect",
    "Plan",
    "Quote",
    "PlanFn",
    "Run",
    "shown",
    "shown_id",
    "usd",
    "Context",
]

log = logging.getLogger("novita_mcp.tools")

M = TypeVar("M", bound=BaseModel)


@dataclass
class Reply(Generic[M]):
    """What a tool returns: the structured result, a short text for people, and bookkeeping.

    ``charged_usd`` is what the call actually cost when the tool knows it (the ledger
    otherwise keeps the quote); ``resource_id`` names what was created or changed.
    ``extra`` holds more content blocks (e.g. resource links to generated media).
    """

    data: M
    text: str
    charged_usd: Decimal | None = None
    resource_id: str | None = None
    extra: list[ContentBlock] = field(default_factory=list)

    def to_result(self, structured: dict[str, Any] | None = None) -> CallToolResult:
        content: list[ContentBlock] = [TextContent(type="text", text=self.text), *self.extra]
        return CallToolResult(
            content=content,
            structured_content=structured if structured is not None else self.data.model_dump(mode="json"),
        )


@dataclass
class Services:
    """What a tool can reach; one per server lifespan.

    ``hooks`` are the server's seams (clock, pauses, poll interval, DNS); ``llm_models`` is the
    models list with the time it was read, cached for this lifespan (``tools/llm/catalogue.py``);
    ``media_store`` is ``media_resources.MediaStore``, made on first use (typed loosely here
    because that module reaches tools through this one).
    """

    settings: Settings
    client: NovitaClient
    guard: Guard
    hooks: Hooks = field(default_factory=Hooks)
    llm_models: tuple[float, list[LLMModel]] | None = None
    media_store: object | None = None


def services(ctx: Context) -> Services:
    return cast(Services, ctx.request_context.lifespan_context)


PlanFn = Callable[..., Awaitable[Plan]]


class Run:
    """One guarded call in progress, handed to the tool body: its plan, and how to report progress.

    ``done`` is called right after the one request that acts was accepted by Novita: the
    ledger settles then, so a read that fails afterwards cannot make a paid action vanish.
    """

    def __init__(self, plan: Plan, on_done: Callable[[Decimal | None, str | None], None]) -> None:
        self.plan = plan
        self._on_done = on_done
        self.is_done = False
        self.resource_id: str | None = None

    def __repr__(self) -> str:
        return f"Run(action={self.plan.action!r}, done={self.is_done})"

    def done(self, *, resource_id: str | None = None, charged_usd: Decimal | None = None) -> None:
        self.is_done = True
        self.resource_id = resource_id or self.resource_id
        self._on_done(charged_usd, self.resource_id)


@dataclass(frozen=True)
class ToolSpec:
    fn: Callable[..., Awaitable[Reply[Any]]]
    name: str
    title: str
    effects: frozenset[Effect]
    idempotent: bool
    plan: PlanFn | None = None

    @property
    def read_only(self) -> bool:
        return self.effects == frozenset({Effect.READ})

    @property
    def annotations(self) -> ToolAnnotations:
        """Derived from the declared effects, never written by hand."""
        return ToolAnnotations(
            title=self.title,
            read_only_hint=self.read_only,
            destructive_hint=Effect.DESTRUCTIVE in self.effects,
            idempotent_hint=self.idempotent,
            open_world_hint=True,
        )


def tool(
    *,
    title: str,
    effects: Iterable[Effect | str] = (Effect.READ,),
    idempotent: bool | None = None,
    plan: PlanFn | None = None,
    name: str | None = None,
) -> Callable[[Callable[..., Awaitable[Reply[Any]]]], ToolSpec]:
    declared = frozenset(Effect(e) for e in effects)
    if not declared:
        raise ValueError("a tool declares at least one effect")
    if Effect.READ in declared and len(declared) > 1:
        raise ValueError("a tool that spends or destroys is not a read tool")
    if declared != {Effect.READ} and plan is None:
        raise ValueError("a billable or destructive tool needs a plan function")

    def decorate(fn: Callable[..., Awaitable[Reply[Any]]]) -> ToolSpec:
        return ToolSpec(
            fn=fn,
            name=name or fn.__name__,
            title=title,
            effects=declared,
            idempotent=(declared == {Effect.READ}) if idempotent is None else idempotent,
            plan=plan,
        )

    return decorate


@dataclass(frozen=True)
class Toolset:
    """A toolset as its package declares it (``novita_mcp/tools/<id>/__init__.py``): its id, a
    one-line description, whether it is on by default, and ``load``, which imports its tool
    modules - called the first time ``tools`` is read, so unselected toolsets cost nothing."""

    id: str
    description: str
    default: bool
    load: Callable[[], tuple[ToolSpec, ...]] = field(repr=False, compare=False)

    @functools.cached_property
    def tools(self) -> tuple[ToolSpec, ...]:
        return self.load()
