"""The GPU client: request shapes on the wire and tolerant, typed models."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import SecretStr

from novita_mcp.client import NotFoundError, NovitaClient, RetryPolicy
from novita_mcp.client.gpu_models import GpuProduct, Instance
from novita_mcp.sandbox import FaultRule

pytestmark = pytest.mark.anyio


def _client(sandbox) -> NovitaClient:
    return NovitaClient(api_key=sandbox.api_key, base_url=sandbox.base_url, transport=sandbox.transport(),
                        retry=RetryPolicy(0))


async def test_products_parse_prices_into_dollars(sandbox) -> None:
    async with _client(sandbox) as client:
        products = await client.gpu.products(product_name="4090", billing_method="onDemand")
    (p,) = products
    assert p.usd_per_gpu_hour == Decimal("0.35") and p.spot_usd_per_gpu_hour == Decimal("0.175")
    assert p.monthly_tier(2).month == 1 and p.monthly_tier(12).month == 12 and p.monthly_tier(0) is None


async def test_create_sends_the_documented_body(sandbox) -> None:
    async with _client(sandbox) as client:
        instance_id = await client.gpu.create_instance(
            product_id="1", image_url="img:1", name="n", gpu_num=2, rootfs_size=80, cluster_id="5",
            ports=[(8000, "http"), (22, "tcp")], envs={"A": "1"}, jupyter_port=8888, network_storages=[])
    body = sandbox.state.requests_to("/gpu-instance/openapi/v1/gpu/instance/create")[0].body
    assert body == {"name": "n", "productId": "1", "kind": "gpu", "imageUrl": "img:1", "gpuNum": 2, "rootfsSize": 80,
                    "clusterId": "5", "ports": "8000/http,22/tcp", "envs": [{"key": "A", "value": "1"}],
                    "tools": [{"name": "Jupyter", "port": "8888", "type": "http"}], "billingMode": "onDemand"}
    assert len(instance_id) == 16


async def test_a_cpu_create_omits_gpu_num(sandbox) -> None:
    async with _client(sandbox) as client:
        await client.gpu.create_instance(product_id="cpu-2c4g", image_url="img", kind="cpu", gpu_num=4)
    body = sandbox.state.requests_to("/gpu-instance/openapi/v1/gpu/instance/create")[0].body
    assert body["kind"] == "cpu" and "gpuNum" not in body


async def test_instance_models_accept_strings_and_empty_enums_and_hide_passwords(sandbox) -> None:
    async with _client(sandbox) as client:
        inst = await client.gpu.get_instance("seedinst15")
        page = await client.gpu.list_instances(page_size=10)
    assert inst.billing == "onDemand" and inst.billing_mode == ""
    assert inst.gpu_num == 1 and inst.cpu_num == 16 and inst.subscription_ends is None
    assert inst.ssh is not None and "seed-" not in repr(inst) and inst.ssh.password.get_secret_value()
    assert page.total == 2 and {i.id for i in page.instances} == {"seedinst15", "seedmonthly01"}
    tolerant = Instance.model_validate({"id": "x", "gpuNum": "", "volumeMounts": [{"size": "7"}], "new": 1})
    assert tolerant.gpu_num == 0 and tolerant.volume_mounts[0].size == 7 and tolerant.kind == "gpu"
    assert GpuProduct.model_validate({"spotPrice": "17500"}).spot_price == 17500


async def test_not_found_in_the_gpu_family_is_a_not_found_error(sandbox) -> None:
    async with _client(sandbox) as client:
        with pytest.raises(NotFoundError) as caught:
            await client.gpu.stop("nope")
    assert caught.value.status == 400 and caught.value.reason == "RESOURCE_NOT_FOUND"


async def test_lifecycle_posts_carry_the_instance_id_and_are_never_retried(sandbox) -> None:
    sandbox.faults.add(FaultRule(kind="unavailable", path="/gpu-instance/openapi/v1/gpu/instance/stop"))
    client = NovitaClient(api_key=sandbox.api_key, base_url=sandbox.base_url, transport=sandbox.transport(),
                          retry=RetryPolicy(3, sleep=_no_sleep))
    async with client:
        with pytest.raises(Exception):  # noqa: B017 - any error: the point is the single attempt
            await client.gpu.stop("seedinst15")
    sent = sandbox.state.requests_to("/gpu-instance/openapi/v1/gpu/instance/stop")
    assert len(sent) == 1 and sent[0].body == {"instanceId": "seedinst15"}


async def _no_sleep(seconds: float) -> None:
    return None


async def test_metrics_use_the_openapi_path_and_parse_series(sandbox) -> None:
    sandbox.advance(1)
    async with _client(sandbox) as client:
        metrics = await client.gpu.metrics("seedmonthly01", interval=30)
    assert sandbox.state.requests[-1].path == "/openapi/v1/metrics/gpu/instance"
    assert metrics.cpu and metrics.gpu.gpu_ids[0].gpu_id == "0"


async def test_resources_round_trip_through_the_client(sandbox) -> None:
    async with _client(sandbox) as client:
        res = client.gpu.resources
        template_id = await res.create_template(name="t", image="img", ports=[(8000, "http")], envs={"A": "1"})
        template = await res.get_template(template_id)
        await res.create_storage(cluster_id="5", name="vol", size_gb=10)
        storages = await res.list_storages()
        await res.save_registry_auth(registry="ghcr.io", username="me",
                                     password=SecretStr("Hunter2-not-an-id!"))
        auths = await res.registry_auths()
    assert template.id == template_id and template.port_list() == [(8000, "http")]
    sent = sandbox.state.requests_to("/gpu-instance/openapi/v1/template/create")[0].body
    assert sent["template"]["ports"] == [{"type": "http", "ports": ["8000"]}]
    assert storages.total == 1 and storages.data[0].storage_size == 10
    assert auths[0].username == "me" and "Hunter2-not-an-id!" not in repr(auths[0])
