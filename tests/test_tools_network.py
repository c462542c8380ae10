"""The network toolset through MCP against the sandbox: the VPC story and its refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import connect, elicitation
from .guarded_flow import MODES, exercise

pytestmark = pytest.mark.anyio

BASE = "/gpu-instance/openapi/v1"


@pytest.fixture
def server(make_server):
    """Servers whose waits advance the sandbox clock instead of sleeping."""
    return make_server


async def gpu_api(sandbox, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url,
                                 headers={"Authorization": f"Bearer {sandbox.api_key}"}) as http:
        response = await http.request(method, BASE + path, json=body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_the_vpc_story_create_wait_refuse_while_in_use_then_delete(server, sandbox) -> None:
    if sandbox.state.domains.get("gpu") is None:
        pytest.skip("the GPU instances domain is not in this sandbox")
    async with connect(server()) as client:
        created = await client.call_tool("create_network", {"cluster_id": "1", "name": "train-net"})
        assert created.structured_content["status"] == "done"  # free: no confirmation
        network = created.structured_content["result"]
        ready = await client.call_tool("get_network", {"network_id": network["id"], "max_wait_seconds": 20})
        assert ready.structured_content["state"] == "ready"

        instance = await gpu_api(sandbox, "POST", "/gpu/instance/create", {
            "productId": "1", "gpuNum": 1, "rootfsSize": 60, "imageUrl": "ubuntu:22.04", "kind": "gpu",
            "clusterId": "1", "networkId": network["id"]})
        attached = await client.call_tool("get_network", {"network_id": network["id"]})
        assert [a["instance_id"] for a in attached.structured_content["instances"]] == [instance["id"]]

        refused = await client.call_tool("delete_network", {"network_id": network["id"]})
        assert refused.is_error and instance["id"] in refused.content[0].text
        assert "NETWORK_IN_USE" in refused.content[0].text
        assert sandbox.state.requests_to(BASE + "/network/delete") == []

        await gpu_api(sandbox, "POST", "/gpu/instance/delete", {"instanceId": instance["id"]})
        sandbox.advance(3600)
        first = await client.call_tool("delete_network", {"network_id": network["id"]})
        view = first.structured_content["confirmation"]
        assert network["id"] in view["target"] and "cannot be undone" in view["irreversible"]
        done = await client.call_tool("delete_network", {"network_id": network["id"],
                                                         "confirmation_token": view["token"]})
    assert done.structured_content["status"] == "done"
    assert sandbox.domain("network").networks == {}


async def test_a_declined_delete_leaves_the_network(server, sandbox) -> None:
    async with connect(server()) as client:
        network_id = (await client.call_tool("create_network", {"cluster_id": "1", "name": "keep"})
                      ).structured_content["result"]["id"]
    async with connect(server(), elicit=elicitation("decline")) as client:
        result = await client.call_tool("delete_network", {"network_id": network_id})
    assert result.is_error and "declined" in result.content[0].text
    assert sandbox.state.requests_to(BASE + "/network/delete") == []
    assert sandbox.domain("network").exists(network_id)


async def test_rename_and_list(server, sandbox) -> None:
    async with connect(server()) as client:
        network_id = (await client.call_tool("create_network", {"cluster_id": "5", "name": "old"})
                      ).structured_content["result"]["id"]
        renamed = await client.call_tool("rename_network", {"network_id": network_id, "name": "new"})
        listed = await client.call_tool("list_networks", {"name": "ne"})
    assert renamed.structured_content["result"]["name"] == "new"
    assert [n["id"] for n in listed.structured_content["networks"]] == [network_id]
    assert listed.structured_content["networks"][0]["cluster_id"] == "5"


async def test_an_unknown_cluster_is_a_readable_error(server) -> None:
    async with connect(server()) as client:
        result = await client.call_tool("create_network", {"cluster_id": "404", "name": "x"})
    assert result.is_error and "RESOURCE_NOT_FOUND" in result.content[0].text


@pytest.mark.parametrize("mode", MODES)
async def test_delete_network_waits_for_consent(server, sandbox, mode) -> None:
    async with connect(server()) as client:
        network_id = (await client.call_tool("create_network", {"cluster_id": "1", "name": "n"})
                      ).structured_content["result"]["id"]
    domain = sandbox.domain("network")
    await exercise(server(), sandbox, mode, "delete_network", {"network_id": network_id}, BASE + "/network/delete",
                   lambda: domain.exists(network_id), lambda: not domain.exists(network_id))


async def test_free_network_calls_run_without_asking_but_not_in_read_only_mode(server, sandbox) -> None:
    async with connect(server(read_only=True)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert {"list_networks", "get_network"} <= names
    assert not {"create_network", "rename_network", "delete_network"} & names
