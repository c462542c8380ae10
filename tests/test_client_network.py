"""client.network: VPC networks, tolerant of the three shapes a network may come in."""

from __future__ import annotations

import pytest

from novita_mcp.client import NovitaClient
from novita_mcp.client.network import Network

pytestmark = pytest.mark.anyio

RAW = {"Id": "n1", "name": "a", "state": {"state": "ready", "error": ""}, "segment": "10.1.0.0/16",
       "clusterId": "1", "Addresses": [{"Id": "i1", "Ip": "10.1.0.2"}], "createTime": "1790000000"}


@pytest.mark.parametrize("body", [{"network": RAW}, [RAW], RAW, {"network": [RAW]}])
def test_a_network_parses_wrapped_bare_or_as_an_array_of_one(body) -> None:
    net = Network.parse(body)
    assert (net.id, net.state, net.cluster_id, net.addresses[0].ip) == ("n1", "ready", "1", "10.1.0.2")


def test_a_lowercase_id_and_null_addresses_are_tolerated() -> None:
    net = Network.parse({"id": "n2", "Addresses": None})
    assert (net.id, net.addresses) == ("n2", [])


async def test_a_full_round_trip_against_the_sandbox(sandbox) -> None:
    async with NovitaClient(api_key=sandbox.api_key, base_url=sandbox.base_url, transport=sandbox.transport()) as client:
        created = await client.network.create(cluster_id="1", name="vpc")
        await client.network.update(created.id, name="vpc-2")
        fetched = await client.network.get(created.id)
        listed, total = await client.network.list(name="vpc")
        await client.network.delete(created.id)
        _, after = await client.network.list()
    assert (created.state, fetched.name, total, listed[0].id, after) == ("creating", "vpc-2", 1, created.id, 0)
