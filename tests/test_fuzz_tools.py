"""Property: any tool, given input its own schema forbids, answers with an error naming the parameter.

The cases come from each tool's input schema as the server publishes it (``tools/list``): a
value of the wrong type, a string breaking its pattern or length, a number out of range, a
choice not in the enum, or a required parameter left out. Calls go through the in-memory MCP
client to a server on the sandbox; the one connection is shared by every example (through an
anyio portal), and after each call the server must still answer. Derandomized and bounded, so
CI runs the same few hundred cases in a couple of seconds.
"""

from __future__ import annotations

import re
from typing import Any

import anyio.from_thread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import connect

EXAMPLES = 200


def _types(schema: dict[str, Any]) -> set[str]:
    if "anyOf" in schema:
        return {t for option in schema["anyOf"] for t in _types(option)}
    kind = schema.get("type")
    if isinstance(kind, list):
        return set(kind)
    return {kind} if kind else {"object"} if "properties" in schema or "$ref" in schema else set()


def _constraints(schema: dict[str, Any]) -> dict[str, Any]:
    """The first non-null branch's constraints (pattern, lengths, range, enum)."""
    for option in schema.get("anyOf", [schema]):
        if option.get("type") != "null":
            return option
    return schema


NOT_A_NUMBER = st.text(alphabet="xyz!?", min_size=1, max_size=6)


def bad_value(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the schema rejects (and that pydantic cannot coerce into something it accepts)."""
    types, rule = _types(schema), _constraints(schema)
    options: list[st.SearchStrategy[Any]] = []
    if "string" not in types:
        options.append(NOT_A_NUMBER if types & {"integer", "number", "boolean"} else st.just("zz"))
    if not types & {"integer", "number", "string", "boolean"}:
        options.append(st.integers(-5, 5))
    if "array" not in types and "object" not in types and "string" not in types:
        options.append(st.just([[1], {"a": 2}]))
    if "string" in types and types <= {"string", "null"}:
        options.append(st.integers(-(10**6), 10**6))
        options.append(st.just({"nested": ["value"]}))
        if "pattern" in rule:
            pattern = re.compile(rule["pattern"])
            options.append(st.sampled_from(["../../etc/passwd", "a b", "?x=1", "%2e%2e", "\n", "-x"])
                           .filter(lambda v: pattern.search(v) is None))
        if "maxLength" in rule:
            options.append(st.just("a" * (rule["maxLength"] + 1)))
        if rule.get("minLength", 0) > 0:
            options.append(st.just(""))
        if "enum" in rule:
            options.append(st.text(min_size=1, max_size=12).filter(lambda v: v not in rule["enum"]))
    if types & {"integer", "number"}:
        if "minimum" in rule:
            options.append(st.integers(max_value=int(rule["minimum"]) - 1, min_value=int(rule["minimum"]) - 10**9))
        if "maximum" in rule:
            options.append(st.integers(min_value=int(rule["maximum"]) + 1, max_value=int(rule["maximum"]) + 10**9))
        if "integer" in types and "number" not in types:
            options.append(st.just(1.5))
    if "enum" in rule and "string" not in types:
        options.append(st.just("not-a-choice"))
    return st.one_of(options) if options else st.nothing()


@pytest.fixture
def live(make_server):
    """One MCP session on the sandbox, reachable from the synchronous hypothesis test."""
    with anyio.from_thread.start_blocking_portal(backend="asyncio") as portal:
        with portal.wrap_async_context_manager(connect(make_server())) as client:
            tools = portal.call(client.list_tools).tools
            yield portal, client, tools


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@given(data=st.data())
def test_every_tool_answers_bad_input_with_an_error_naming_the_parameter(live, data) -> None:
    portal, client, tools = live
    tool = data.draw(st.sampled_from(tools), label="tool")
    schema = tool.input_schema
    properties = schema.get("properties", {})
    required = list(schema.get("required", []))
    breakable = [name for name, prop in properties.items() if not bad_value(prop).is_empty]
    choices = [("omit", name) for name in required] + [("break", name) for name in breakable]
    if not choices:
        return  # a tool without parameters has no bad input
    how, name = data.draw(st.sampled_from(choices), label="case")
    args: dict[str, Any] = {}
    if how == "break":
        args[name] = data.draw(bad_value(properties[name]), label=name)
    result = portal.call(client.call_tool, tool.name, args)
    text = " ".join(getattr(block, "text", "") for block in result.content)
    assert result.is_error, (tool.name, args, text[:300])
    assert name in text, (tool.name, args, text[:300])
    assert "unexpected" not in text.lower() and "Traceback" not in text
    assert not portal.call(client.call_tool, "get_balance", {}).is_error  # the server still answers


@pytest.mark.injects_bug
@pytest.mark.anyio
async def test_a_bug_is_hidden_from_the_agent_as_an_unexpected_error(make_server, monkeypatch) -> None:
    """The one place an 'unexpected error' answer is right: a bug injected on purpose (the suite-wide
    check in conftest lets this test through by its marker)."""
    from novita_mcp.client.account import AccountAPI

    async def broken(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("injected bug with a secret-looking detail")

    monkeypatch.setattr(AccountAPI, "balance", broken)
    async with connect(make_server()) as client:
        result = await client.call_tool("get_balance", {})
        again = await client.call_tool("list_clusters", {})
    text = result.content[0].text
    assert result.is_error and "unexpected error" in text and "injected bug" not in text
    assert not again.is_error
