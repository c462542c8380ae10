"""The gpu toolset through MCP against the sandbox: the ops story, quotes vs. charges, guardrails."""

from __future__ import annotations

from decimal import Decimal

import pytest

from novita_mcp.client import RetryPolicy
from novita_mcp.hooks import Hooks
from novita_mcp.server import build_server

from .conftest import connect, elicitation

pytestmark = pytest.mark.anyio

GPU = "/gpu-instance/openapi/v1/gpu/instance"
RTX = {"name": "job", "product_id": "1", "image_url": "img:1", "cluster_id": "5"}


@pytest.fixture
def make_server(make_server):
    """Only the toolsets under test: building every toolset per test is slow."""

    def make(**settings):
        return make_server(**{"toolsets": ["gpu", "gpu_resources"], **settings})

    return make


def _units(sandbox, owner: str, mode: str = "usage") -> Decimal:
    return sum((c.amount_units for c in sandbox.state.charges if c.owner_id == owner and c.mode == mode), Decimal(0))


def _posts(sandbox, path: str) -> list:
    return sandbox.state.requests_to(path, method="POST")


async def _confirmed(client, tool: str, args: dict) -> dict:
    """The token flow: ask, check the plan, call again with the token."""
    first = await client.call_tool(tool, args)
    assert not first.is_error, first.content[0].text
    assert first.structured_content["status"] == "confirmation_required"
    token = first.structured_content["confirmation"]["token"]
    second = await client.call_tool(tool, {**args, "confirmation_token": token})
    assert not second.is_error, second.content[0].text
    assert second.structured_content["status"] == "done"
    return {"plan": first.structured_content["confirmation"], "result": second.structured_content["result"]}


def _advancing_server(make_settings, sandbox, **settings):
    """A server whose waits advance the sandbox clock instead of sleeping."""
    settings.setdefault("toolsets", ["gpu"])

    async def sleep(seconds: float) -> None:
        sandbox.advance(seconds)

    return build_server(make_settings(**settings), sandbox.transport(),
                        hooks=Hooks(clock=sandbox.clock.now, poll_interval=5, sleep=sleep, retry=RetryPolicy(0)))


async def test_the_ops_story_runs_end_to_end_with_confirmation_progress_and_cleanup(make_settings, sandbox) -> None:
    elicit = elicitation("accept")
    progress: list[tuple[float, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, message))

    async with connect(_advancing_server(make_settings, sandbox), elicit=elicit) as client:
        offers = await client.call_tool("list_gpu_products", {"gpu_name": "H100"})
        cheapest = offers.structured_content["products"][0]
        templates = await client.call_tool("list_templates", {"name": "vllm", "channel": "private"})
        template_id = templates.structured_content["templates"][0]["template_id"]
        created = await client.call_tool("create_instance", {"name": "vllm-h100", "product_id": cheapest["product_id"],
                                                             "template_id": template_id})
        instance_id = created.structured_content["result"]["instance_id"]
        waited = await client.call_tool("wait_for_instance", {"instance_id": instance_id}, progress_callback=on_progress)
        metrics = await client.call_tool("get_instance_metrics", {"instance_id": instance_id, "minutes": 5})
        stopped = await client.call_tool("stop_instance", {"instance_id": instance_id})
        await client.call_tool("wait_for_instance", {"instance_id": instance_id, "target": "exited"})
        deleted = await client.call_tool("delete_instance", {"instance_id": instance_id})
        gone = await client.call_tool("wait_for_instance", {"instance_id": instance_id, "target": "removed"})
        spend = await client.call_tool("get_spend_now", {})
    assert cheapest["name"] == "H100 SXM 80GB" and cheapest["usd_per_gpu_hour"] == "1.99"
    assert "$1.99 per hour" in elicit.questions[0] and "vllm-h100" in elicit.questions[0]
    assert created.structured_content["status"] == "done"
    body = _posts(sandbox, GPU + "/create")[0].body
    assert body["imageUrl"] == "vllm/vllm-openai:latest" and body["ports"] == "8000/http" and "clusterId" not in body
    assert waited.structured_content["reached"] is True and waited.structured_content["status"] == "running"
    assert len(progress) >= 3 and "toCreate" in (progress[0][1] or "")
    assert metrics.structured_content["gpu_percent"]["average"] is not None
    assert stopped.structured_content["result"]["status"] == "toStop"
    assert any(instance_id in q and "vllm-h100" in q for q in elicit.questions[1:])  # the target is named
    assert deleted.structured_content["status"] == "done" and gone.structured_content["reached"] is True
    assert instance_id not in spend.content[0].text


async def test_a_wait_that_runs_out_says_still_status_and_to_call_again(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        created = await _confirmed(client, "create_instance", RTX)
        instance_id = created["result"]["instance_id"]
        first = await client.call_tool("wait_for_instance", {"instance_id": instance_id, "max_wait_seconds": 0})
        sandbox.advance(60)
        second = await client.call_tool("wait_for_instance", {"instance_id": instance_id, "max_wait_seconds": 0})
    assert first.structured_content["reached"] is False
    assert first.content[0].text.startswith("Still toCreate - call wait_for_instance again")
    assert second.structured_content["reached"] is True


async def test_a_wait_stops_early_when_the_instance_cannot_get_there(make_server) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("wait_for_instance", {"instance_id": "seedinst15", "target": "running"})
    assert result.structured_content["reached"] is False
    assert "not on its way" in result.content[0].text


async def test_the_hourly_quote_equals_what_the_sandbox_charges_in_an_hour(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        done = await _confirmed(client, "create_instance", {**RTX, "gpus": 2})
    instance_id = done["result"]["instance_id"]
    assert done["plan"]["recurring"] == "hour" and Decimal(done["plan"]["cost_usd"]) == Decimal("0.70")
    sandbox.advance(40)  # created and pulled
    before = _units(sandbox, instance_id)
    sandbox.advance(3600)
    assert (_units(sandbox, instance_id) - before) / 10_000 == Decimal(done["plan"]["cost_usd"])


async def test_the_disk_above_sixty_gb_is_in_the_quote_and_in_the_charges(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        done = await _confirmed(client, "create_instance", {**RTX, "rootfs_gb": 84})
    sandbox.advance(40)
    before = _units(sandbox, done["result"]["instance_id"])
    sandbox.advance(3600)
    hour = (_units(sandbox, done["result"]["instance_id"]) - before) / 10_000
    assert Decimal(done["plan"]["cost_usd"]) == Decimal("0.35") + Decimal("0.005")  # 24 GB x $0.005/day = $0.005/h
    assert abs(hour - Decimal(done["plan"]["cost_usd"])) < Decimal("1e-20")


async def test_a_subscription_quote_is_the_term_total_and_is_what_is_charged(make_server, sandbox) -> None:
    sandbox.state.top_up(1000)
    async with connect(make_server()) as client:
        done = await _confirmed(client, "create_instance", {**RTX, "billing": "monthly", "months": 3})
    instance_id = done["result"]["instance_id"]
    assert done["plan"]["recurring"] == "month" and Decimal(done["plan"]["cost_usd"]) == Decimal(513)
    assert _units(sandbox, instance_id, "fixed") / 10_000 == Decimal(513)  # 3 x $171 tier price
    sandbox.advance(3600)
    assert _units(sandbox, instance_id) == 0


async def test_renew_and_convert_quote_the_monthly_tier_they_charge(make_server, sandbox) -> None:
    sandbox.state.top_up(2000)
    async with connect(make_server()) as client:
        renewed = await _confirmed(client, "renew_instance", {"instance_id": "seedmonthly01", "months": 6})
        wrong = await client.call_tool("renew_instance", {"instance_id": "seedinst15", "months": 1})
        converted = await _confirmed(client, "convert_instance_to_monthly", {"instance_id": "seedinst15", "months": 1})
    assert Decimal(renewed["plan"]["cost_usd"]) == Decimal(972) == Decimal(renewed["result"]["paid_usd"])
    assert _units(sandbox, "seedmonthly01", "fixed") / 10_000 == Decimal(972) + Decimal(180)  # + the seed
    assert wrong.is_error and "convert_instance_to_monthly" in wrong.content[0].text
    assert Decimal(converted["plan"]["cost_usd"]) == _units(sandbox, "seedinst15", "fixed") / 10_000 == 180


@pytest.mark.parametrize(("tool", "extra", "path"), [
    ("stop_instance", {}, "/stop"),
    ("restart_instance", {}, "/restart"),
    ("delete_instance", {}, "/delete"),
    ("migrate_instance", {}, "/migrate"),
    ("upgrade_instance", {"image_url": "img:2", "keep_data": False}, "/upgrade"),
])
async def test_destructive_calls_change_nothing_without_confirmation(make_server, sandbox, tool, extra, path) -> None:
    async with connect(make_server()) as client:
        created = await _confirmed(client, "create_instance", RTX)
        instance_id = created["result"]["instance_id"]
        sandbox.advance(60)
        asked = await client.call_tool(tool, {"instance_id": instance_id, **extra})
    async with connect(make_server(), elicit=elicitation("decline")) as client:
        declined = await client.call_tool(tool, {"instance_id": instance_id, **extra})
    confirmation = asked.structured_content["confirmation"]
    assert asked.structured_content["status"] == "confirmation_required"
    assert instance_id in confirmation["target"] and '"job"' in confirmation["target"]
    assert confirmation["irreversible"]
    assert declined.is_error and "declined" in declined.content[0].text
    assert _posts(sandbox, GPU + path) == []  # no mutating request reached the sandbox
    assert sandbox.domain("gpu").instances[instance_id].status_at(sandbox.clock.now()) == "running"


async def test_migrate_and_upgrade_state_what_happens_to_the_data(make_server) -> None:
    async with connect(make_server()) as client:
        migrate = await client.call_tool("migrate_instance", {"instance_id": "seedinst15"})
        wipe = await client.call_tool("upgrade_instance", {"instance_id": "seedinst15", "image_url": "i:2",
                                                           "keep_data": False})
        keep = await client.call_tool("upgrade_instance", {"instance_id": "seedinst15", "image_url": "i:2",
                                                           "keep_data": True})
    assert "NOT preserved" in migrate.structured_content["confirmation"]["irreversible"]
    assert "lost" in wipe.structured_content["confirmation"]["irreversible"]
    assert "kept" in keep.structured_content["confirmation"]["irreversible"]


async def test_the_token_flow_carries_out_a_stop_and_start(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        started = await _confirmed(client, "start_instance", {"instance_id": "seedinst15"})
        sandbox.advance(30)
        stopped = await _confirmed(client, "stop_instance", {"instance_id": "seedinst15"})
    assert Decimal(started["plan"]["cost_usd"]) == Decimal("0.35") and started["plan"]["recurring"] == "hour"
    assert started["result"]["status"] == "toStart" and stopped["result"]["status"] == "toStop"
    assert 'seedinst15 "sd-webui"' in stopped["plan"]["target"]


async def test_max_gpus_refuses_a_large_create_before_anything_is_sent(make_server, sandbox) -> None:
    async with connect(make_server(max_gpus=2), elicit=elicitation("accept")) as client:
        result = await client.call_tool("create_instance", {**RTX, "gpus": 4})
    assert result.is_error and "NOVITA_MCP_MAX_GPUS" in result.content[0].text
    assert _posts(sandbox, GPU + "/create") == []


async def test_a_balance_below_the_hourly_quote_is_refused(make_server, sandbox) -> None:
    sandbox.state.balance_units = Decimal(1000)  # $0.10
    async with connect(make_server()) as client:
        result = await client.call_tool("create_instance", {**RTX, "product_id": "4", "cluster_id": "1"})
    assert result.is_error and "does not cover" in result.content[0].text
    assert _posts(sandbox, GPU + "/create") == []


async def test_a_cpu_instance_is_created_with_kind_cpu_and_quoted_per_hour(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        done = await _confirmed(client, "create_instance", {"name": "etl", "product_id": "cpu-8c32g", "kind": "cpu",
                                                            "image_url": "python:3.12", "cluster_id": "1"})
        spot = await client.call_tool("create_instance", {"name": "x", "product_id": "cpu-2c4g", "kind": "cpu",
                                                          "image_url": "python:3.12", "billing": "spot"})
    assert Decimal(done["plan"]["cost_usd"]) == Decimal("0.08") and done["result"]["kind"] == "cpu"
    assert _posts(sandbox, GPU + "/create")[0].body["kind"] == "cpu"
    assert spot.is_error and "on_demand" in spot.content[0].text


async def test_get_instance_withholds_passwords_unless_asked(make_server, sandbox) -> None:
    password = sandbox.domain("gpu").instances["seedinst15"].ssh_password
    async with connect(make_server()) as client:
        plain = await client.call_tool("get_instance", {"instance_id": "seedinst15"})
        secret = await client.call_tool("get_instance", {"instance_id": "seedinst15", "include_secrets": True})
    assert password not in str(plain.structured_content) and password not in plain.content[0].text
    assert "withheld" in plain.structured_content["ssh_password"]
    assert secret.structured_content["ssh_password"] == password
    assert plain.structured_content["jupyter_url"].endswith("/lab")


async def test_spend_now_lists_running_instances_with_rate_and_cost_so_far(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        done = await _confirmed(client, "create_instance", RTX)
        sandbox.advance(40 + 3600)
        spend = await client.call_tool("get_spend_now", {})
    data = spend.structured_content
    (row,) = data["instances"]
    assert row["instance_id"] == done["result"]["instance_id"] and row["billing_now"] is True
    assert Decimal(row["usd_per_hour"]) == Decimal("0.35") == Decimal(data["usd_per_hour_now"])
    charged = _units(sandbox, row["instance_id"]) / 10_000
    assert abs(Decimal(row["cost_last_31_days_usd"]) - charged) < Decimal("0.0001")
    assert [s["instance_id"] for s in data["subscriptions"]] == ["seedmonthly01"]
    assert "Burning $0.35/hour" in spend.content[0].text


async def test_adding_ports_is_free_but_removing_ports_or_growing_the_disk_is_confirmed(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        inst = (await client.call_tool("get_instance", {"instance_id": "seedinst15"})).structured_content
        kept = [f"{p['port']}/{p['type']}" for p in inst["ports"]]
        added = await client.call_tool("edit_instance", {"instance_id": "seedinst15", "ports": [*kept, "7861/http"]})
        removing = await client.call_tool("edit_instance", {"instance_id": "seedinst15", "ports": ["7861/http"]})
        grow = await _confirmed(client, "edit_instance", {"instance_id": "seedinst15", "expand_disk_gb": 48})
        nothing = await client.call_tool("edit_instance", {"instance_id": "seedinst15"})
    assert kept and added.structured_content["status"] == "done"  # no cost, nothing lost: runs without asking
    # Removing every old port costs nothing but cannot be undone: the user is asked, and told which ports go.
    assert removing.structured_content["status"] == "confirmation_required"
    assert all(port in removing.structured_content["confirmation"]["irreversible"] for port in kept)
    assert Decimal(grow["plan"]["cost_usd"]) == Decimal("0.01") and grow["plan"]["recurring"] == "hour"
    assert "never be shrunk" in grow["plan"]["irreversible"]
    assert sandbox.domain("gpu").instances["seedinst15"].rootfs == 108
    assert nothing.is_error and len(_posts(sandbox, GPU + "/edit")) == 2


async def test_an_unknown_instance_is_reported_before_anything_is_sent(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("delete_instance", {"instance_id": "nope"})
    assert result.is_error and "RESOURCE_NOT_FOUND" in result.content[0].text
    assert _posts(sandbox, GPU + "/delete") == []


async def test_products_are_sorted_by_price_and_filtered(make_server) -> None:
    async with connect(make_server()) as client:
        cheap = await client.call_tool("list_gpu_products", {"max_usd_per_gpu_hour": "0.5", "gpus": 2})
        eu = await client.call_tool("list_gpu_products", {"cluster_id": "5", "available_only": False})
        spot = await client.call_tool("list_gpu_products", {"billing": "spot", "gpu_name": "4090"})
    names = [p["name"] for p in cheap.structured_content["products"]]
    assert names == ["RTX 3090 24GB", "RTX 4090 24GB"]
    assert Decimal(cheap.structured_content["products"][1]["usd_per_hour_total"]) == Decimal("0.70")
    sold_out = {p["name"]: p["available"] for p in eu.structured_content["products"]}
    assert sold_out["H100 SXM 80GB"] is False and sold_out["A100 SXM 80GB"] is True
    assert spot.structured_content["products"][0]["usd_per_gpu_hour"] == "0.175"


async def test_read_only_mode_hides_every_guarded_gpu_tool(make_server) -> None:
    async with connect(make_server(read_only=True)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert {"list_gpu_products", "get_spend_now", "wait_for_instance"} <= names
    assert not names & {"create_instance", "stop_instance", "delete_instance", "start_instance", "create_registry_auth"}


async def test_sold_out_products_and_no_op_lifecycle_calls_are_refused_up_front(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        sold_out = await client.call_tool("create_instance", {**RTX, "product_id": "4"})  # no H100 in EU-01
        stop = await client.call_tool("stop_instance", {"instance_id": "seedinst15"})
        start = await client.call_tool("start_instance", {"instance_id": "seedmonthly01"})
    assert sold_out.is_error and "sold out in cluster 5" in sold_out.content[0].text
    assert stop.is_error and "already exited" in stop.content[0].text
    assert start.is_error and "already running" in start.content[0].text
    assert sandbox.state.requests_to(GPU, method="POST") == []


async def test_a_confirmed_delete_costs_at_most_four_requests_in_all(make_server, sandbox) -> None:
    """Plan call + confirmed call (token flow): the plan's read is reused by the body, nothing is read twice."""
    before = len(sandbox.state.requests)
    async with connect(make_server(confirm_mode="token")) as client:
        await _confirmed(client, "delete_instance", {"instance_id": "seedinst15"})
    sent = sandbox.state.requests[before:]
    assert [r.method for r in sent].count("POST") == 1 and len(sent) <= 4, [(r.method, r.path) for r in sent]
