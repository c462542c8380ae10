"""Resources and prompts are advertised, so they must be useful: catalogues and common jobs, through MCP."""

from __future__ import annotations

import json

import pytest

from .conftest import connect

pytestmark = pytest.mark.anyio


async def test_the_catalogues_are_resources_with_prices(make_server) -> None:
    async with connect(make_server(toolsets=["default"])) as client:
        listed = {t.uri_template: t for t in (await client.list_resource_templates()).resource_templates}
        models = json.loads((await client.read_resource("novita://catalogue/llm-models")).contents[0].text)
        gpus = json.loads((await client.read_resource("novita://catalogue/gpu-products")).contents[0].text)
        spend = json.loads((await client.read_resource("novita://account/spend-now")).contents[0].text)
    assert {"novita://catalogue/{name}", "novita://account/{name}"} <= set(listed)
    assert "llm-models" in listed["novita://catalogue/{name}"].description
    assert listed["novita://catalogue/{name}"].mime_type == "application/json"
    assert models["models"] and all("input_usd_per_m" in m and "output_usd_per_m" in m for m in models["models"])
    prices = [float(m["input_usd_per_m"]) + float(m["output_usd_per_m"]) for m in models["models"]]
    assert prices == sorted(prices)
    assert gpus["products"] and all("usd_per_gpu_hour" in p for p in gpus["products"])
    assert "usd_per_hour_now" in spend


async def test_a_catalogue_is_only_offered_with_its_tool(make_server) -> None:
    async with connect(make_server(toolsets=["account"])) as client:
        listed = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
    assert "novita://catalogue/{name}" not in listed and "novita://account/{name}" not in listed


async def test_the_prompts_for_common_jobs_name_the_tools_to_use(make_server) -> None:
    async with connect(make_server(toolsets=["default"])) as client:
        names = {p.name for p in (await client.list_prompts()).prompts}
        deploy = await client.get_prompt("deploy_model_on_gpu", {"model": "qwen2.5-7b", "max_usd_per_hour": "0.5"})
        image = await client.get_prompt("generate_image_within_budget", {"prompt": "a red fox", "budget_usd": "0.02"})
        spend = await client.get_prompt("what_am_i_spending", {})
    assert names == {"deploy_model_on_gpu", "generate_image_within_budget", "what_am_i_spending"}
    text = lambda r: " ".join(m.content.text for m in r.messages)  # noqa: E731
    assert all(t in text(deploy) for t in ("list_gpu_products", "create_instance", "stop_instance", "$0.5"))
    assert "a red fox" in text(image) and "$0.02" in text(image) and "generate_image" in text(image)
    assert all(t in text(spend) for t in ("get_spend_now", "get_balance", "list_usage_bills"))
