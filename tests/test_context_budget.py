"""What an agent pays before doing anything: the bytes of the actual ``tools/list``, held to budgets.

Tokens are JSON bytes / 4 (compact JSON, as the wire carries it). "Model-visible" is a tool's
name + description + inputSchema. Budgets (issue 16): the default toolsets at most 6,000
tokens and 170 per tool, every toolset at most 12,000, and the whole default ``tools/list`` at
most half of the 139,154 bytes it was before the schemas were made lean.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import connect

pytestmark = pytest.mark.anyio

DEFAULT_MODEL_TOKENS = 6_000
PER_TOOL_TOKENS = 170
ALL_MODEL_TOKENS = 12_000
DEFAULT_TOOLS_LIST_BYTES_BEFORE = 139_154


def _bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


async def _tools(server: Any) -> list[dict[str, Any]]:
    async with connect(server) as client:
        tools = (await client.list_tools()).tools
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


def _model_tokens(tools: list[dict[str, Any]]) -> int:
    return sum(_bytes({"name": t["name"], "description": t.get("description"), "inputSchema": t["inputSchema"]})
               for t in tools) // 4


async def test_the_default_toolsets_fit_the_model_budget(make_server) -> None:
    tools = await _tools(make_server(toolsets=["default"]))
    tokens = _model_tokens(tools)
    assert tokens <= DEFAULT_MODEL_TOKENS, tokens
    assert tokens / len(tools) <= PER_TOOL_TOKENS, tokens / len(tools)


async def test_every_toolset_together_fits_the_model_budget(make_server) -> None:
    tools = await _tools(make_server(toolsets=["all"]))
    assert len(tools) > 60
    assert _model_tokens(tools) <= ALL_MODEL_TOKENS


async def test_the_whole_default_tools_list_is_at_most_half_of_what_it_was(make_server) -> None:
    tools = await _tools(make_server(toolsets=["default"]))
    assert all("outputSchema" in t for t in tools)  # kept, only leaner
    assert _bytes({"tools": tools}) <= DEFAULT_TOOLS_LIST_BYTES_BEFORE // 2


async def test_lean_schemas_carry_no_titles_and_no_null_branches_for_optional_inputs(make_server) -> None:
    tools = await _tools(make_server(toolsets=["all"]))
    text = json.dumps([t["inputSchema"] for t in tools])
    assert '"title"' not in text and '{"type": "null"}' not in text
    create = next(t for t in tools if t["name"] == "create_instance")["inputSchema"]
    assert create["properties"]["cluster_id"]["pattern"]  # constraints stay
    assert "cluster_id" not in create["required"]


async def test_an_optional_argument_sent_as_null_or_left_out_means_the_same(make_server) -> None:
    """The schema no longer says null, but the server's validation still takes it (the SDK validates
    with the pydantic model), and a wrong type is still refused, naming the parameter."""
    async with connect(make_server(toolsets=["default"])) as client:
        left_out = await client.call_tool("list_gpu_products", {"gpu_name": "4090"})
        null = await client.call_tool("list_gpu_products", {"gpu_name": "4090", "cluster_id": None,
                                                            "max_usd_per_gpu_hour": None})
        wrong = await client.call_tool("list_gpu_products", {"cluster_id": "../x"})
    assert not left_out.is_error and not null.is_error
    assert left_out.structured_content == null.structured_content
    assert wrong.is_error and "cluster_id" in wrong.content[0].text


async def test_structured_results_still_validate_against_the_lean_output_schema(make_server) -> None:
    """The client checks structuredContent against outputSchema: nulls in a result must still pass."""
    async with connect(make_server(toolsets=["default"])) as client:
        result = await client.call_tool("list_instances", {})
        balance = await client.call_tool("get_balance", {})
    assert not result.is_error and not balance.is_error


async def test_every_lean_schema_is_a_valid_json_schema_whose_references_resolve(make_server) -> None:
    from jsonschema.validators import validator_for

    tools = await _tools(make_server(toolsets=["all"]))
    for tool in tools:
        for schema in (tool["inputSchema"], tool["outputSchema"]):
            validator_for(schema).check_schema(schema)
            text = json.dumps(schema)
            for ref in {part.split('"')[0] for part in text.split('"$ref": "#/$defs/')[1:]}:
                assert ref in schema.get("$defs", {}), (tool["name"], ref)
