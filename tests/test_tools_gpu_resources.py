"""The gpu_resources toolset through MCP: templates, network storage, registry credentials."""

from __future__ import annotations

from decimal import Decimal

import pytest

from .conftest import connect, elicitation

pytestmark = pytest.mark.anyio

BASE = "/gpu-instance/openapi/v1"


@pytest.fixture
def make_server(make_server):
    def make(**settings):
        return make_server(**{"toolsets": ["gpu", "gpu_resources"], **settings})

    return make


async def test_the_toolset_is_off_by_default(make_server) -> None:
    async with connect(make_server(toolsets=None)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert {"list_templates", "create_instance"} <= names and "create_network_storage" not in names


async def test_a_template_is_created_for_free_and_deleted_only_when_confirmed(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        created = await client.call_tool("create_template", {"name": "sd", "image": "img:1", "ports": ["7860/http"],
                                                             "env": {"A": "1"}})
        template_id = created.structured_content["result"]["resource_id"]
        asked = await client.call_tool("delete_template", {"template_id": template_id})
        official = await client.call_tool("delete_template", {"template_id": "1"})
        got = await client.call_tool("get_template", {"template_id": template_id})
    async with connect(make_server(), elicit=elicitation("accept")) as client:
        deleted = await client.call_tool("delete_template", {"template_id": template_id})
    assert created.structured_content["status"] == "done"  # free: no question asked
    assert got.structured_content["ports"] == ["7860/http"] and got.structured_content["envs"] == {"A": "1"}
    assert asked.structured_content["status"] == "confirmation_required"
    assert f'template {template_id} "sd"' in asked.structured_content["confirmation"]["target"]
    assert official.is_error and "official" in official.content[0].text
    assert deleted.structured_content["status"] == "done"
    assert len(sandbox.state.requests_to(BASE + "/template/delete", method="POST")) == 1


async def test_network_storage_quote_per_month_equals_thirty_days_of_charges(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        first = await client.call_tool("create_network_storage", {"name": "data", "size_gb": 500, "cluster_id": "5"})
        token = first.structured_content["confirmation"]["token"]
        done = await client.call_tool("create_network_storage", {"name": "data", "size_gb": 500, "cluster_id": "5",
                                                                 "confirmation_token": token})
        listed = await client.call_tool("list_network_storage", {})
    storage_id = done.structured_content["result"]["storage_id"]
    quote = Decimal(first.structured_content["confirmation"]["cost_usd"])
    assert quote == Decimal(30) and first.structured_content["confirmation"]["recurring"] == "month"
    sandbox.advance(30 * 86400)
    charged = sum(c.amount_units for c in sandbox.state.charges if c.owner_id == storage_id) / 10_000
    assert charged == quote
    assert listed.structured_content["storages"][0]["storage_id"] == storage_id


async def test_deleting_storage_is_refused_without_confirmation_and_the_volume_stays(make_server, sandbox) -> None:
    async with connect(make_server(), elicit=elicitation("accept")) as client:
        await client.call_tool("create_network_storage", {"name": "keep", "size_gb": 10, "cluster_id": "5"})
    (storage_id,) = sandbox.domain("gpu_resources").storages
    async with connect(make_server(), elicit=elicitation("decline")) as client:
        declined = await client.call_tool("delete_network_storage", {"storage_id": storage_id})
    assert declined.is_error and "declined" in declined.content[0].text
    assert sandbox.state.requests_to(BASE + "/networkstorage/delete") == []
    assert storage_id in sandbox.domain("gpu_resources").storages


async def test_registry_passwords_are_never_echoed_nor_written_to_the_audit_log(make_server, sandbox,
                                                                               state_dir) -> None:
    secret = "s3cr3t-registry-pw"
    async with connect(make_server()) as client:
        saved = await client.call_tool("create_registry_auth", {"registry": "ghcr.io", "username": "me",
                                                                "password": secret})
        listed = await client.call_tool("list_registry_auths", {})
    assert saved.structured_content["status"] == "done"
    for result in (saved, listed):
        assert secret not in str(result.structured_content) and secret not in result.content[0].text
    assert (state_dir / "audit.jsonl").exists() and secret not in (state_dir / "audit.jsonl").read_text()
    assert sandbox.domain("gpu_resources").auths  # it did reach the sandbox
    assert listed.structured_content["credentials"][0]["username"] == "me"


async def test_credentials_in_use_cannot_be_deleted(make_server, sandbox) -> None:
    async with connect(make_server(), elicit=elicitation("accept")) as client:
        await client.call_tool("create_registry_auth", {"registry": "ghcr.io", "username": "me", "password": "pw"})
        auth_id = (await client.call_tool("list_registry_auths", {})).structured_content["credentials"][0]["auth_id"]
        await client.call_tool("create_instance", {"name": "private", "product_id": "1", "image_url": "ghcr.io/me/x",
                                                   "registry_auth_id": auth_id})
        refused = await client.call_tool("delete_registry_auth", {"auth_id": auth_id})
    assert refused.is_error and "IMAGE_AUTH_IN_USE" in refused.content[0].text
