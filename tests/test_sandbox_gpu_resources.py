"""Templates, network storage and registry auth in the sandbox: CRUD, quirks, charges, in-use rules."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

pytestmark = pytest.mark.anyio

BASE = "/gpu-instance/openapi/v1"
CREATE = {"name": "t", "productId": "1", "gpuNum": 1, "rootfsSize": 60, "imageUrl": "img:1", "kind": "gpu"}


def _http(sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(),
                             headers={"Authorization": f"Bearer {sandbox.api_key}"})


async def test_templates_round_trip_with_capital_id_and_int_ports(sandbox) -> None:
    template = {"name": "mine", "readme": "r", "type": "instance", "channel": "private", "image": "repo/img:1",
                "startCommand": "serve", "rootfsSize": 80, "ports": [{"type": "http", "ports": ["8080"]}],
                "envs": [{"key": "A", "value": "1"}], "volumes": [{"type": "local", "size": 20, "mountPath": "/w"}]}
    async with _http(sandbox) as http:
        created = (await http.post(BASE + "/template/create", json={"template": template})).json()
        got = (await http.get(BASE + "/template", params={"templateId": created["templateId"]})).json()["template"]
        private = (await http.get(BASE + "/templates", params={"channel": "private", "pageSize": 1})).json()
        updated = await http.post(BASE + "/template/update", json={"template": {"Id": got["Id"], "name": "renamed"}})
        deleted = (await http.post(BASE + "/template/delete", json={"templateId": got["Id"]})).json()
        missing = await http.get(BASE + "/template", params={"templateId": got["Id"]})
    assert got["Id"] == created["templateId"] and got["ports"] == [{"type": "http", "ports": [8080]}]
    assert isinstance(got["createTime"], str) and got["user"] == sandbox.state.user_id
    assert private["total"] == 2 and private["pageSize"] == 1 and len(private["template"]) == 1
    assert updated.status_code == 200 and deleted == {"templateId": got["Id"]}
    assert (missing.status_code, missing.json()["reason"]) == (400, "TEMPLATE_NOT_FOUND")


async def test_official_templates_cannot_be_deleted(sandbox) -> None:
    async with _http(sandbox) as http:
        response = await http.post(BASE + "/template/delete", json={"templateId": "1"})
    assert response.json()["reason"] == "OPERATION_LIMIT"
    assert "1" in sandbox.domain("gpu_resources").templates.templates


async def test_network_storage_is_created_listed_grown_and_charged_per_gb_day(sandbox) -> None:
    async with _http(sandbox) as http:
        created = await http.post(BASE + "/networkstorage/create",
                                  json={"clusterId": "5", "storageName": "data", "storageSize": 100})
        listing = (await http.get(BASE + "/networkstorages/list", params={"pageNo": 1, "pageSize": 10})).json()
        (row,) = listing["data"]
        sandbox.advance(86400)
        shrink = await http.post(BASE + "/networkstorage/update", json={"storageId": row["storageId"],
                                                                        "storageName": "data", "storageSize": "50"})
        grow = await http.post(BASE + "/networkstorage/update", json={"storageId": row["storageId"],
                                                                      "storageName": "data", "storageSize": "200"})
        sandbox.advance(86400)
    assert created.json() == "" and listing["total"] == 1
    assert row["storageSize"] == 100 and row["clusterName"] == "EU-01" and row["price"] == "200"
    assert shrink.json()["reason"] == "VALIDATOR_PARAM" and grow.status_code == 200
    charged = sum(c.amount_units for c in sandbox.state.charges if c.owner_id == row["storageId"])
    assert charged == Decimal(100 * 20 + 200 * 20)  # $0.002/GB/day = 20 units per GB-day
    assert {c.category for c in sandbox.state.charges if c.owner_id == row["storageId"]} == {"cloud_storage"}


async def test_network_storage_rules_match_the_documented_errors(sandbox) -> None:
    async with _http(sandbox) as http:
        no_support = await http.post(BASE + "/networkstorage/create",
                                     json={"clusterId": "8", "storageName": "x", "storageSize": 10})
        too_big = await http.post(BASE + "/networkstorage/create",
                                  json={"clusterId": "5", "storageName": "x", "storageSize": 99_999})
        await http.post(BASE + "/networkstorage/create", json={"clusterId": "5", "storageName": "x", "storageSize": 10})
        (row,) = (await http.get(BASE + "/networkstorages/list")).json()["data"]
        other_cluster = await http.post(BASE + "/gpu/instance/create", json={
            **CREATE, "clusterId": "1", "networkStorages": [{"Id": row["storageId"], "mountPoint": "/network"}]})
        mounted = await http.post(BASE + "/gpu/instance/create", json={
            **CREATE, "networkStorages": [{"Id": row["storageId"]}]})
        in_use = await http.post(BASE + "/networkstorage/delete", json={"storageId": row["storageId"]})
        inst = (await http.get(BASE + "/gpu/instance", params={"instanceId": mounted.json()["id"]})).json()
        missing = await http.post(BASE + "/networkstorage/delete", json={"storageId": "nope"})
    assert no_support.json()["reason"] == "CUR_CLUSTER_NETWORK_STORAGE_NOT_SUPPORT"
    assert too_big.json()["reason"] == "NETWORK_STORAGE_TOO_LARGE"
    assert other_cluster.json()["reason"] == "DEPENDENT_RESOURCE_STATE"
    assert inst["clusterId"] == "5"  # the storage's cluster was chosen
    assert inst["volumeMounts"][1] == {"type": "network", "size": 10, "id": row["storageId"], "mountPath": "/network"}
    assert in_use.json()["reason"] == "NETWORK_STORAGE_IN_USE"
    assert missing.json()["reason"] == "NETWORK_STORAGE_NOT_FOUND"


async def test_registry_auth_is_saved_listed_and_protected_while_used(sandbox) -> None:
    async with _http(sandbox) as http:
        saved = await http.post(BASE + "/repository/auth/save",
                                json={"name": "ghcr.io", "username": "me", "password": "hunter2"})
        (auth,) = (await http.get(BASE + "/repository/auths")).json()["data"]
        await http.post(BASE + "/gpu/instance/create", json={**CREATE, "imageAuthId": auth["id"]})
        in_use = await http.post(BASE + "/repository/auth/delete", json={"id": auth["id"]})
        unknown = await http.post(BASE + "/gpu/instance/create", json={**CREATE, "imageAuthId": "x" * 32})
    assert saved.json() == {} and len(auth["id"]) == 32 and auth["id"].isalnum()
    assert auth["password"] == "hunter2"  # the docs example returns it in clear
    assert in_use.json()["reason"] == "IMAGE_AUTH_IN_USE"
    assert unknown.json()["reason"] == "RESOURCE_NOT_FOUND"
