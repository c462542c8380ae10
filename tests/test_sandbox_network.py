"""The sandbox's VPC networks (REFERENCE.md §6.10), and their tie to GPU instances."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from novita_mcp.sandbox import Sandbox
from novita_mcp.sandbox.network import MAX_NETWORKS, READY_SECONDS

pytestmark = pytest.mark.anyio

BASE = "/gpu-instance/openapi/v1"


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url,
                                 headers={"Authorization": f"Bearer {sandbox.api_key}"}) as client:
        yield client


async def create(http: httpx.AsyncClient, name: str = "vpc-a", cluster: str = "1") -> dict[str, Any]:
    response = await http.post(f"{BASE}/network/create", json={"clusterId": cluster, "name": name})
    assert response.status_code == 200, response.text
    return response.json()["network"]  # type: ignore[no-any-return]


async def get(http: httpx.AsyncClient, network_id: str) -> httpx.Response:
    return await http.get(f"{BASE}/network", params={"networkId": network_id})


async def test_a_network_is_created_then_ready_with_the_documented_field_names(http, sandbox) -> None:
    net = await create(http)
    assert set(net) == {"Id", "user", "name", "state", "segment", "clusterId", "Addresses", "createTime"}
    assert net["state"] == {"state": "creating", "error": ""}
    assert isinstance(net["createTime"], str) and net["segment"].endswith("/16")
    sandbox.advance(READY_SECONDS)
    assert (await get(http, net["Id"])).json()["network"]["state"]["state"] == "ready"


async def test_list_filters_by_name_and_pages(http) -> None:
    for name in ("alpha", "beta", "alphabet"):
        await create(http, name)
    found = (await http.get(f"{BASE}/networks", params={"name": "alpha", "pageSize": 1, "pageNum": 0})).json()
    assert found["total"] == 2 and len(found["networks"]) == 1


async def test_rename_changes_the_name_and_checks_its_length(http) -> None:
    net = await create(http)
    ok = await http.post(f"{BASE}/network/update", json={"networkId": net["Id"], "name": "renamed"})
    assert ok.status_code == 200 and ok.json() == {}
    assert (await get(http, net["Id"])).json()["network"]["name"] == "renamed"
    bad = await http.post(f"{BASE}/network/update", json={"networkId": net["Id"], "name": "x" * 31})
    assert (bad.status_code, bad.json()["reason"]) == (400, "VALIDATOR_PARAM")


async def test_unknown_networks_and_clusters_are_400_not_found(http) -> None:
    response = await get(http, "nope")
    assert (response.status_code, response.json()["reason"]) == (400, "NETWORK_NOT_FOUND")
    cluster = await http.post(f"{BASE}/network/create", json={"clusterId": "999", "name": "x"})
    assert (cluster.status_code, cluster.json()["reason"]) == (400, "RESOURCE_NOT_FOUND")


async def test_the_account_holds_at_most_the_network_limit(http) -> None:
    for i in range(MAX_NETWORKS):
        await create(http, f"n{i}")
    response = await http.post(f"{BASE}/network/create", json={"clusterId": "1", "name": "one-more"})
    assert response.json()["reason"] == "NETWORK_MAX_LIMIT"


async def test_delete_is_refused_while_an_instance_uses_the_network(http, sandbox) -> None:
    if sandbox.state.domains.get("gpu") is None:
        pytest.skip("the GPU instances domain is not in this sandbox")
    net = await create(http)
    created = await http.post(f"{BASE}/gpu/instance/create", json={
        "name": "on-vpc", "productId": "1", "gpuNum": 1, "rootfsSize": 60, "imageUrl": "ubuntu:22.04", "kind": "gpu",
        "clusterId": "1", "networkId": net["Id"]})
    assert created.status_code == 200, created.text
    instance_id = created.json()["id"]
    addresses = (await get(http, net["Id"])).json()["network"]["Addresses"]
    assert [a["Id"] for a in addresses] == [instance_id] and addresses[0]["Ip"].startswith("10.")
    refused = await http.post(f"{BASE}/network/delete", json={"networkId": net["Id"]})
    assert (refused.status_code, refused.json()["reason"]) == (400, "NETWORK_IN_USE")
    assert instance_id in refused.json()["message"]
    await http.post(f"{BASE}/gpu/instance/delete", json={"instanceId": instance_id})
    sandbox.advance(3600)
    deleted = await http.post(f"{BASE}/network/delete", json={"networkId": net["Id"]})
    assert deleted.status_code == 200
    assert (await get(http, net["Id"])).json()["reason"] == "NETWORK_NOT_FOUND"


async def test_an_instance_cannot_join_a_network_that_does_not_exist(http, sandbox) -> None:
    if sandbox.state.domains.get("gpu") is None:
        pytest.skip("the GPU instances domain is not in this sandbox")
    response = await http.post(f"{BASE}/gpu/instance/create", json={
        "productId": "1", "gpuNum": 1, "rootfsSize": 60, "imageUrl": "ubuntu:22.04", "kind": "gpu", "networkId": "nope"})
    assert response.json()["reason"] == "NETWORK_NOT_FOUND"
    assert sandbox.domain("network").exists("nope") is False
