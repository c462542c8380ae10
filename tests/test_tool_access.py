"""Allow/deny lists and read-only mode apply to every tool: what is listed is what may run."""

from __future__ import annotations

import pytest

from novita_mcp.server import build_server
from novita_mcp.settings import Settings
from novita_mcp.tool_access import ToolAccess, all_tool_names
from tests.conftest import connect
from tests.served import http_server, serve_over_http

pytestmark = pytest.mark.anyio

INSTANCE = {"name": "access-test", "product_id": "1", "image_url": "pytorch/pytorch:latest"}


def text(result) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


async def test_a_denied_read_tool_is_neither_listed_nor_callable_and_nothing_reaches_novita(
    sandbox, make_settings
) -> None:
    async with serve_over_http(sandbox, latency=0.02) as url:
        async with connect(http_server(sandbox, url, make_settings, confirm_mode="none")) as client:
            created = await client.call_tool("create_instance", INSTANCE)
        instance_id = created.structured_content["result"]["instance_id"]
        before = len(sandbox.state.requests)
        # Written as a person would: another case, dashes for underscores.
        denied = http_server(sandbox, url, make_settings, deny_tools=["Get-Instance"])
        async with connect(denied) as client:
            listed = {t.name for t in (await client.list_tools()).tools}
            result = await client.call_tool("get_instance", {"instance_id": instance_id})
            still = await client.call_tool("get_balance", {})
    assert "get_instance" not in listed and "get_balance" in listed
    assert result.is_error and "NOVITA_MCP_DENY_TOOLS" in text(result) and "Nothing was done" in text(result)
    assert "password" not in text(result).lower() and instance_id not in text(result)
    reached = sandbox.state.requests[before:]
    assert not still.is_error and reached, "the allowed read ran"
    assert all(instance_id not in r.path and "/instance" not in r.path for r in reached), reached


async def test_an_allow_list_hides_every_other_tool_read_or_not(make_server, sandbox) -> None:
    async with connect(make_server(allow_tools=["GET_BALANCE", "list-models"])) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        refused = await client.call_tool("list_instances", {})
    assert listed == {"get_balance", "list_models"}
    assert refused.is_error and "not in NOVITA_MCP_ALLOW_TOOLS" in text(refused)
    assert sandbox.state.requests_to("/gpu-instance") == []


async def test_read_only_mode_refuses_a_hidden_tool_by_name_with_the_reason(make_server, sandbox) -> None:
    async with connect(make_server(read_only=True)) as client:
        refused = await client.call_tool("create_instance", INSTANCE)
    assert refused.is_error and "read-only mode" in text(refused)
    assert sandbox.state.requests == []


def test_names_match_case_insensitively_and_dashes_as_underscores(tmp_path) -> None:
    settings = Settings(deny_tools=["Delete-Instance", " STOP_instance "], allow_tools=["Get-Balance"],
                        state_dir=tmp_path)
    assert settings.deny_tools == ["delete_instance", "stop_instance"]
    assert settings.allow_tools == ["get_balance"]


@pytest.mark.parametrize("field", ["deny_tools", "allow_tools"])
def test_an_unknown_name_is_a_start_up_error_listing_the_valid_ones(tmp_path, field) -> None:
    settings = Settings(**{field: ["get_instance", "get_instnace"]}, state_dir=tmp_path)
    with pytest.raises(ValueError) as raised:
        ToolAccess(settings)
    message = str(raised.value)
    assert "'get_instnace'" in message and "'get_instance'" not in message.split("valid names")[0]
    assert all(name in message for name in all_tool_names())
    with pytest.raises(ValueError):
        build_server(settings)


def test_a_name_from_a_toolset_that_is_not_selected_is_still_valid(tmp_path) -> None:
    # Denying a tool of a toolset that is off is harmless, and stays right when the toolset is turned on.
    ToolAccess(Settings(deny_tools=["create_batch"], toolsets=["account"], state_dir=tmp_path))
