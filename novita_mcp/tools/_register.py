"""Registering a declared ``ToolSpec`` on the MCP server: one place for every tool.

Here, and only here: annotations come from the declared effects, and non-read tools are
wrapped by the guard's pipeline (``guard/pipeline.py``), which words their failures. A read
tool's Novita errors become readable tool errors here; unexpected exceptions are logged
(stderr) and hidden from the agent.
"""

from __future__ import annotations

import functools
import inspect
import logging
import typing
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult
from pydantic import BaseModel

from novita_mcp.client.errors import NovitaError
from novita_mcp.guard.pipeline import guarded_function
from novita_mcp.lean_schema import lean_input_schema, lean_output_schema
from novita_mcp.toolkit import Reply, Run, ToolSpec

__all__ = ["build_tool"]

log = logging.getLogger("novita_mcp.tools")


def _output_model(spec: ToolSpec) -> type[BaseModel]:
    hints = typing.get_type_hints(spec.fn, include_extras=True)
    ret = hints.get("return")
    if typing.get_origin(ret) is not Reply and not (isinstance(ret, type) and issubclass(ret, Reply)):
        raise TypeError(f"tool {spec.name} must be annotated '-> Reply[Model]'")
    (model,) = typing.get_args(ret)
    return model


def _split_params(spec: ToolSpec) -> tuple[list[inspect.Parameter], str | None, str | None]:
    """The model-facing parameters, and the names of the body's Context and Run parameters."""
    hints = typing.get_type_hints(spec.fn, include_extras=True)
    params: list[inspect.Parameter] = []
    ctx_name: str | None = None
    run_name: str | None = None
    for p in inspect.signature(spec.fn).parameters.values():
        annotation = hints.get(p.name, p.annotation)
        base = typing.get_args(annotation)[0] if typing.get_origin(annotation) is Annotated else annotation
        if isinstance(base, type) and issubclass(base, Context):
            ctx_name = p.name
            continue
        if base is Run:
            run_name = p.name
            continue
        params.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=annotation))
    if run_name is not None and spec.read_only:
        raise TypeError(f"read tool {spec.name} cannot take a Run: only guarded tools have a plan")
    return params, ctx_name, run_name


async def _run(spec: ToolSpec, kwargs: dict[str, Any]) -> Reply[Any]:
    try:
        return await spec.fn(**kwargs)
    except ToolError:
        raise
    except NovitaError as exc:
        raise ToolError(exc.describe()) from None
    except Exception:
        log.exception("tool %s failed unexpectedly", spec.name)
        raise ToolError(f"{spec.name} failed inside novita-mcp (an unexpected error; details are in the server's "
                        "log on stderr). Nothing further was sent to Novita.") from None


@functools.cache
def build_tool(spec: ToolSpec) -> Tool:
    """The SDK's tool for a spec, built once per process (``_prebuilt.py`` lists it before).

    Building one means generating pydantic models and JSON schemas (milliseconds per tool);
    the result holds no per-server state - a call reaches its server's client and guard
    through the request context - so every server built in this process can share it.
    """
    output = _output_model(spec)
    params, ctx_name, run_name = _split_params(spec)

    if spec.read_only:
        async def plain(**kwargs: Any) -> CallToolResult:
            reply = await _run(spec, kwargs)
            return reply.to_result()

        sig_params = list(params)
        if ctx_name is not None:
            sig_params.append(inspect.Parameter(ctx_name, inspect.Parameter.KEYWORD_ONLY, annotation=Context))
        ret = Annotated[CallToolResult, output]
        plain.__signature__ = inspect.Signature(sig_params, return_annotation=ret)  # type: ignore[attr-defined]  # the SDK reads __signature__
        plain.__annotations__ = {**{p.name: p.annotation for p in sig_params}, "return": ret}
        wrapper: Any = plain
    else:
        async def body(ctx: Context, kwargs: dict[str, Any], run: Run) -> Reply[Any]:
            call = dict(kwargs)
            if ctx_name is not None:
                call[ctx_name] = ctx
            if run_name is not None:
                call[run_name] = run
            return await spec.fn(**call)

        wrapper = guarded_function(spec, params, output, body)

    wrapper.__name__ = spec.name
    wrapper.__doc__ = inspect.getdoc(spec.fn)
    tool = Tool.from_function(wrapper, name=spec.name, title=spec.title, annotations=spec.annotations,
                              description=inspect.getdoc(spec.fn))
    # What tools/list shows: lean schemas (same constraints; arguments are still validated by the model).
    tool.parameters = lean_input_schema(tool.parameters)
    tool.fn_metadata.output_schema = lean_output_schema(tool.fn_metadata.output_schema)
    return tool
