"""Clusters and GPU/CPU products in the sandbox: shapes, filters and stock per cluster."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio

BASE = "/gpu-instance/openapi/v1"


def _http(sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(),
                             headers={"Authorization": f"Bearer {sandbox.api_key}"})


async def test_clusters_list_gpu_types_in_stock_and_storage_support(sandbox) -> None:
    async with _http(sandbox) as http:
        data = (await http.get(BASE + "/clusters")).json()["data"]
    by_id = {c["id"]: c for c in data}
    assert set(by_id["5"]) == {"id", "name", "availableGpuType", "supportNetworkStorage", "supportInstanceNetwork"}
    assert "H100 SXM 80GB" in by_id["1"]["availableGpuType"]
    assert "H100 SXM 80GB" not in by_id["5"]["availableGpuType"]  # sold out in EU-01
    assert by_id["8"]["supportNetworkStorage"] is False


async def test_the_rtx_4090_costs_what_the_billing_seed_charged(sandbox) -> None:
    async with _http(sandbox) as http:
        (product,) = (await http.get(BASE + "/products", params={"productName": "4090"})).json()["data"]
    assert product["price"] == 35000  # 1/100000 USD per hour = $0.35
    assert product["spotPrice"] == "17500"  # a string, as in the docs
    assert {"price": 18_000_000, "month": 1} in product["monthlyPrice"]
    assert product["minRootFS"] == 10 and product["billingMethods"] == ["onDemand", "monthly", "spot"]


async def test_stock_is_reported_per_cluster(sandbox) -> None:
    async with _http(sandbox) as http:
        eu = (await http.get(BASE + "/products", params={"clusterId": "5", "productName": "H100"})).json()["data"]
        us = (await http.get(BASE + "/products", params={"clusterId": "1", "productName": "H100"})).json()["data"]
        h200 = (await http.get(BASE + "/products", params={"productName": "H200"})).json()["data"]
    assert eu[0]["availableDeploy"] is False and eu[0]["inventoryState"] == "none"
    assert us[0]["availableDeploy"] is True and us[0]["availableGpuNumber"] == 8
    assert h200[0]["availableDeploy"] is False  # sold out everywhere


async def test_billing_method_and_gpu_count_filter_products(sandbox) -> None:
    async with _http(sandbox) as http:
        monthly = (await http.get(BASE + "/products", params={"billingMethod": "monthly"})).json()["data"]
        bad = await http.get(BASE + "/products", params={"billingMethod": "yearly"})
        too_many = await http.get(BASE + "/products", params={"gpuNum": 9})
    assert "RTX 3090 24GB" not in {p["name"] for p in monthly}  # sold on demand and spot only
    assert (bad.status_code, bad.json()["reason"]) == (400, "VALIDATOR_PARAM")
    assert too_many.status_code == 400


async def test_an_unknown_cluster_is_a_400_resource_not_found(sandbox) -> None:
    async with _http(sandbox) as http:
        response = await http.get(BASE + "/products", params={"clusterId": "99"})
    assert response.status_code == 400
    assert response.json()["reason"] == "RESOURCE_NOT_FOUND"


async def test_cpu_products_have_their_own_fields(sandbox) -> None:
    async with _http(sandbox) as http:
        data = (await http.get(BASE + "/cpu/products", params={"clusterId": "5"})).json()["data"]
    small = next(p for p in data if p["id"] == "cpu-2c4g")
    assert {"cpuNum", "memorySize", "rootfsSize", "localVolumeSize", "availableDeploy", "price"} <= set(small)
    assert next(p for p in data if p["id"] == "cpu-8c32g")["availableDeploy"] is False
