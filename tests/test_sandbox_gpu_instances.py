"""GPU/CPU instances in the sandbox: status machine on the clock, lifecycle rules, billing, quirks."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

pytestmark = pytest.mark.anyio

BASE = "/gpu-instance/openapi/v1"
GPU = BASE + "/gpu/instance"
ALL_STATUSES = ["toCreate", "creating", "pulling", "running", "toStart", "starting", "toStop", "stopping", "exited",
                "toRestart", "restarting", "toRemove", "removing", "toReset", "resetting", "migrating", "freezing"]
# What the sandbox promises (README / gpu_lifecycle docstring), written out independently here.
EXPECTED_ALLOWED = {
    "start": {"exited"},
    "stop": {"running", "pulling"},
    "restart": {"running"},
    "delete": {"toCreate", "creating", "pulling", "running", "exited"},
    "edit": {"running", "exited"},
    "upgrade": {"running", "exited"},
    "migrate": {"running", "exited"},
}
CREATE = {"name": "t", "productId": "1", "gpuNum": 1, "rootfsSize": 60, "imageUrl": "img:1", "kind": "gpu",
          "clusterId": "5", "ports": "8888/http,22/tcp"}


def _http(sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(),
                             headers={"Authorization": f"Bearer {sandbox.api_key}"})


async def _create(http: httpx.AsyncClient, **overrides) -> str:
    response = await http.post(GPU + "/create", json={**CREATE, **overrides})
    assert response.status_code == 200, response.text
    return response.json()["id"]


async def _status(http: httpx.AsyncClient, instance_id: str) -> str:
    return (await http.get(GPU, params={"instanceId": instance_id})).json()["status"]


def _gpu_charges(sandbox, instance_id: str, mode: str = "usage") -> Decimal:
    return sum((c.amount_units for c in sandbox.state.charges if c.owner_id == instance_id and c.mode == mode),
               Decimal(0))


async def test_create_goes_to_create_creating_pulling_running_on_the_clock(sandbox) -> None:
    async with _http(sandbox) as http:
        instance_id = await _create(http)
        seen = [await _status(http, instance_id)]
        for step in (2, 8, 30):
            sandbox.advance(step)
            seen.append(await _status(http, instance_id))
    assert seen == ["toCreate", "creating", "pulling", "running"]


async def test_stop_start_restart_and_delete_follow_the_documented_statuses(sandbox) -> None:
    async with _http(sandbox) as http:
        instance_id = await _create(http)
        sandbox.advance(60)
        trail = []
        for op, checkpoints in (("stop", (0, 2, 8)), ("start", (0, 2, 18)), ("restart", (0, 2, 18)),
                                ("delete", (0, 2, 8))):
            assert (await http.post(f"{GPU}/{op}", json={"instanceId": instance_id})).json() == {}
            for step in checkpoints:
                sandbox.advance(step)
                response = await http.get(GPU, params={"instanceId": instance_id})
                trail.append(response.json().get("status") or response.json()["reason"])
    assert trail == ["toStop", "stopping", "exited", "toStart", "starting", "running",
                     "toRestart", "restarting", "running", "toRemove", "removing", "RESOURCE_NOT_FOUND"]


@pytest.mark.parametrize("op", sorted(EXPECTED_ALLOWED))
async def test_each_lifecycle_call_is_allowed_or_refused_in_every_status(sandbox, op: str) -> None:
    bodies = {"edit": {"expandRootDisk": 10}, "upgrade": {"imageUrl": "img:2", "envs": [], "command": "", "save": True,
                                                        "networkVolume": {"volumeMounts": []}}}
    outcomes: dict[str, tuple[int, str]] = {}
    async with _http(sandbox) as http:
        for status in ALL_STATUSES:
            instance_id = await _create(http)
            inst = sandbox.domain("gpu").instances[instance_id]
            inst.timeline = [(sandbox.clock.now(), status)]
            response = await http.post(f"{GPU}/{op}", json={"instanceId": instance_id, **bodies.get(op, {})})
            outcomes[status] = (response.status_code, response.json().get("reason", ""))
            if response.status_code != 200:
                assert inst.timeline == [(sandbox.clock.now(), status)]  # refused: nothing moved
            await http.post(GPU + "/delete", json={"instanceId": instance_id})
            sandbox.domain("gpu").instances.pop(instance_id)
    allowed = {s for s, (code, _) in outcomes.items() if code == 200}
    assert allowed == EXPECTED_ALLOWED[op]
    assert {reason for code, reason in outcomes.values() if code != 200} == {"OPERATION_LIMIT"}


@pytest.mark.parametrize("op", ["start", "stop", "restart", "delete", "migrate", "renewInstance",
                                "transToMonthlyInstance"])
async def test_unknown_instance_ids_are_a_400_resource_not_found(sandbox, op: str) -> None:
    async with _http(sandbox) as http:
        response = await http.post(f"{GPU}/{op}", json={"instanceId": "nope", "month": 1})
        get = await http.get(GPU, params={"instanceId": "nope"})
    assert (response.status_code, response.json()["reason"]) == (400, "RESOURCE_NOT_FOUND")
    assert (get.status_code, get.json()["reason"]) == (400, "RESOURCE_NOT_FOUND")


async def test_one_hour_of_running_costs_the_hourly_price_times_gpus(sandbox) -> None:
    async with _http(sandbox) as http:
        instance_id = await _create(http, gpuNum=2)
        sandbox.advance(40)  # 30 s of pulling is billed too
        pulled = _gpu_charges(sandbox, instance_id)
        for step in (1000, 1234.5, 0.25, 1365.25):  # settled at uneven moments, still exact
            sandbox.advance(step)
        hour = _gpu_charges(sandbox, instance_id) - pulled
        await http.post(GPU + "/stop", json={"instanceId": instance_id})
        sandbox.advance(3600)
    assert pulled == Decimal(30) * 35000 * 2 / 36000
    assert hour == Decimal(7000)  # 2 x $0.35 = $0.70 = 7000 units
    assert _gpu_charges(sandbox, instance_id) - pulled - hour == 0  # stopped: nothing more
    line = next(c for c in sandbox.state.charges if c.owner_id == instance_id)
    assert (line.category, line.product_name, line.unit_price0) == ("gpu", "RTX 4090 24GB", Decimal(35000))


async def test_gpu_seconds_show_in_the_usage_bill_of_the_instance(sandbox) -> None:
    async with _http(sandbox) as http:
        instance_id = await _create(http)
        sandbox.advance(40 + 600)
        bills = (await http.get("/openapi/v1/billing/bill/list", params={
            "cycleType": "Month", "productCategory": "gpu", "ownerId": instance_id})).json()["bills"]
    assert sum(Decimal(b["billNum0"]) for b in bills) == 630
    assert sum(int(b["amount"]) for b in bills) == 613  # 630 s x $0.35/h = 612.5 units, shown rounded


async def test_disk_above_sixty_gb_is_charged_per_day_while_running(sandbox) -> None:
    async with _http(sandbox) as http:
        instance_id = await _create(http, rootfsSize=160)
        sandbox.advance(40)
        before = sum(c.amount_units for c in sandbox.state.charges if "disk" in c.product_name)
        sandbox.advance(86400)
    after = sum(c.amount_units for c in sandbox.state.charges if "disk" in c.product_name)
    assert after - before == Decimal(100 * 50)  # 100 GB x $0.005 = $0.50 = 5000 units per day
    assert instance_id


async def test_a_monthly_instance_is_charged_up_front_as_a_fixed_term_bill(sandbox) -> None:
    sandbox.state.top_up(2000)
    async with _http(sandbox) as http:
        instance_id = await _create(http, billingMode="monthly", month=3, gpuNum=2)
        sandbox.advance(7200)
        body = (await http.get(GPU, params={"instanceId": instance_id})).json()
        fixed = (await http.get("/openapi/v1/billing/bill/monthly/list", params={"ownerId": instance_id})).json()
        delete = await http.post(GPU + "/delete", json={"instanceId": instance_id})
    assert _gpu_charges(sandbox, instance_id, "fixed") == Decimal(17_100_000) / 10 * 3 * 2
    assert _gpu_charges(sandbox, instance_id) == 0  # no per-second charge on top
    assert body["billingMode"] == "monthly" and int(body["endTime"]) > sandbox.clock.now()
    assert fixed["bills"][0]["tradeType"] == "monthly_new_buy"
    assert delete.json()["reason"] == "PREPAID_INSTANCE_NOT_SUPPORT_RELEASE"


async def test_renew_and_convert_charge_the_monthly_tier(sandbox) -> None:
    sandbox.state.top_up(2000)
    async with _http(sandbox) as http:
        on_demand = await _create(http)
        sandbox.advance(60)
        renew_wrong = await http.post(GPU + "/renewInstance", json={"instanceId": on_demand, "month": 1})
        convert = await http.post(GPU + "/transToMonthlyInstance", json={"instanceId": on_demand, "month": 1})
        again = await http.post(GPU + "/transToMonthlyInstance", json={"instanceId": on_demand, "month": 1})
        renew = await http.post(GPU + "/renewInstance", json={"instanceId": on_demand, "month": 6})
        fresh = await _create(http, billingMode="monthly")
        renew_early = await http.post(GPU + "/renewInstance", json={"instanceId": fresh, "month": 1})
    assert renew_wrong.json()["reason"] == "UNSUPPORTED_BILLING_MODE"
    assert convert.status_code == 200 and again.json()["reason"] == "UNSUPPORTED_BILLING_MODE"
    assert renew.status_code == 200
    assert _gpu_charges(sandbox, on_demand, "fixed") == Decimal(1_800_000) + Decimal(16_200_000) / 10 * 6
    assert renew_early.json()["reason"] == "CREATING_INSTANCE_NOT_SUPPORT_RENEWAL"
    types = [c.trade_type for c in sandbox.state.charges if c.owner_id == on_demand and c.mode == "fixed"]
    assert types == ["monthly_new_buy", "monthly_re_buy"]


async def test_create_refuses_sold_out_products_bad_fields_and_empty_balance(sandbox) -> None:
    async with _http(sandbox) as http:
        sold_out = await http.post(GPU + "/create", json={**CREATE, "productId": "4", "clusterId": "5"})
        no_kind = await http.post(GPU + "/create", json={k: v for k, v in CREATE.items() if k != "kind"})
        bad_port = await http.post(GPU + "/create", json={**CREATE, "ports": "2222/tcp"})
        spot_cpu = await http.post(GPU + "/create", json={**CREATE, "kind": "cpu", "productId": "cpu-2c4g",
                                                          "billingMode": "spot"})
        sandbox.state.balance_units = Decimal(100)
        broke = await http.post(GPU + "/create", json=CREATE)
    assert sold_out.json()["reason"] == "INSUFFICIENT_RESOURCE"
    assert no_kind.json()["reason"] == bad_port.json()["reason"] == "VALIDATOR_PARAM"
    assert spot_cpu.json()["reason"] == "UNSUPPORTED_BILLING_MODE"
    assert (broke.status_code, broke.json()["reason"]) == (400, "BALANCE_NOT_ENOUGH")
    assert len(sandbox.domain("gpu").live()) == 2  # only the seeded ones


async def test_a_cpu_instance_is_billed_at_the_cpu_product_price(sandbox) -> None:
    async with _http(sandbox) as http:
        instance_id = await _create(http, kind="cpu", productId="cpu-8c32g", clusterId="1", gpuNum=None)
        sandbox.advance(40)
        start = _gpu_charges(sandbox, instance_id)
        sandbox.advance(3600)
        body = (await http.get(GPU, params={"instanceId": instance_id})).json()
    assert body["kind"] == "cpu" and body["gpuNum"] == "0" and body["cpuNum"] == "8"
    assert _gpu_charges(sandbox, instance_id) - start == Decimal(800)  # $0.08/h


async def test_get_and_list_reproduce_the_documented_quirks(sandbox) -> None:
    async with _http(sandbox) as http:
        instance_id = await _create(http, tools=[{"name": "Jupyter", "port": "8888", "type": "http"}])
        sandbox.advance(60)
        detail = (await http.get(GPU, params={"instanceId": instance_id})).json()
        listing = (await http.get(BASE + "/gpu/instances", params={"pageSize": 10, "pageNum": 0})).json()
        seeded = (await http.get(GPU, params={"instanceId": "seedinst15"})).json()
    assert detail["cpuNum"] == "16" and detail["memory"] == "62" and detail["gpuNum"] == "1"
    assert detail["volumeMounts"][0]["size"] == 60 and detail["endTime"] == "-1"
    assert detail["portMappings"][0]["endpoint"].startswith("https://")
    assert detail["connectComponentSSH"]["isRunning"] is True and detail["connectComponentSSH"]["password"]
    assert detail["connectComponentJupyter"]["address"]
    row = next(i for i in listing["instances"] if i["id"] == instance_id)
    assert listing["total"] == 3 and "endpoint" not in row["portMappings"][0]
    assert row["volumeMounts"][0]["size"] == "60" and "connectComponentSSH" not in row
    assert seeded["billingMode"] == "" and seeded["status"] == "exited"  # empty-string enum, as seen live


async def test_list_filters_by_status_and_pages_from_zero(sandbox) -> None:
    async with _http(sandbox) as http:
        for _ in range(3):
            await _create(http)
        sandbox.advance(60)
        running = (await http.get(BASE + "/gpu/instances", params={"status": "running", "pageSize": 2,
                                                                   "pageNum": 1})).json()
        exited = (await http.get(BASE + "/gpu/instances", params={"status": "exited"})).json()
    assert running["total"] == 4 and len(running["instances"]) == 2  # 3 new + the seeded subscription
    assert [i["id"] for i in exited["instances"]] == ["seedinst15"]


async def test_migrate_moves_to_a_cluster_with_stock(sandbox) -> None:
    async with _http(sandbox) as http:
        instance_id = await _create(http, productId="3", clusterId="5")  # A100: stock only in EU-01
        moving = await _create(http)
        sandbox.advance(60)
        stuck = await http.post(GPU + "/migrate", json={"instanceId": instance_id})
        moved = await http.post(GPU + "/migrate", json={"instanceId": moving})
        body = (await http.get(GPU, params={"instanceId": moving})).json()
    assert stuck.json()["reason"] == "MIGRATE_INSUFFICIENT_RESOURCE"
    assert moved.status_code == 200 and body["status"] == "migrating" and body["clusterId"] != "5"


async def test_metrics_have_string_timestamps_and_one_series_per_gpu(sandbox) -> None:
    async with _http(sandbox) as http:
        instance_id = await _create(http, gpuNum=2)
        sandbox.advance(40 + 300)
        now = int(sandbox.clock.now())
        body = (await http.get("/openapi/v1/metrics/gpu/instance", params={
            "instanceId": instance_id, "startTime": now - 300, "endTime": now, "interval": 60})).json()
        bad = (await http.get("/openapi/v1/metrics/gpu/instance", params={"instanceId": instance_id,
                                                                          "interval": "x"})).json()
    assert len(body["gpuUtilization"]["gpuIds"]) == 2 and len(body["cpuUtilization"]) == 6
    assert isinstance(body["cpuUtilization"][0]["timestamp"], str)
    assert 0 <= body["gpuUtilization"]["avg"][0]["value"] <= 100
    assert len(bad["cpuUtilization"]) == 5  # bad values fall back to the last minute, every 15 s


async def test_arrears_freeze_pay_as_you_go_instances(sandbox) -> None:
    async with _http(sandbox) as http:
        instance_id = await _create(http, productId="4", clusterId="1", gpuNum=8)
        sandbox.state.balance_units = Decimal(16_000)  # a bit more than one hour of 8 H100s
        sandbox.advance(40 + 3600)
        status = await _status(http, instance_id)
        sandbox.advance(60)
        later = await _status(http, instance_id)
    assert status == "freezing" and later == "exited"


async def test_the_network_hooks_validate_and_report_instances(sandbox) -> None:
    class FakeNetworks:
        name = "network"

        def exists(self, network_id: str) -> bool:
            return network_id == "net-1"

    real = sandbox.state.domains.get("network")
    sandbox.state.domains["network"] = FakeNetworks()
    try:
        async with _http(sandbox) as http:
            missing = await http.post(GPU + "/create", json={**CREATE, "networkId": "net-2"})
            instance_id = await _create(http, networkId="net-1")
            body = (await http.get(GPU, params={"instanceId": instance_id})).json()
    finally:
        if real is None:
            sandbox.state.domains.pop("network")
        else:
            sandbox.state.domains["network"] = real
    assert missing.json()["reason"] == "NETWORK_NOT_FOUND"
    assert sandbox.domain("gpu").instances_using_network("net-1") == [instance_id]
    assert body["network"]["id"] == "net-1" and body["network"]["ip"].startswith("10.")
