"""Quotes that cannot be gamed (issue 11, point 4), through MCP against the sandbox served over
HTTP with latency, judged by what reached the sandbox and what it charged."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from novita_mcp.sandbox.state import UNITS_PER_USD

from .conftest import connect
from .served import http_server, serve_over_http

pytestmark = pytest.mark.anyio

LLAMA = "meta-llama/llama-3.3-70b-instruct"
R1 = "deepseek/deepseek-r1-0528"  # $0.70/M in, $2.50/M out
FILES, BATCHES = "/openai/v1/files", "/openai/v1/batches"


def chat_line(custom_id: str, **body) -> dict:
    return {"custom_id": custom_id, "body": {"model": LLAMA, "messages": [{"role": "user", "content": "hi"}],
                                            "max_tokens": 20, **body}}


def as_jsonl(*rows: object) -> str:
    return "\n".join(json.dumps(r) for r in rows)


def billable_requests(sandbox) -> list:
    """Uploads and batch creations: what would lead to charges."""
    return [r for r in sandbox.state.requests if r.method == "POST" and r.path.startswith((FILES, BATCHES))]


HOSTILE = {
    "negative n": (as_jsonl(chat_line("a"), chat_line("b", n=-1)), "Line 2"),
    "negative max_tokens": (as_jsonl(chat_line("a", max_tokens=-100000)), "Line 1"),
    "zero max_tokens": (as_jsonl(chat_line("a"), chat_line("b"), chat_line("c", max_tokens=0)), "Line 3"),
    "n as text": (as_jsonl(chat_line("a", n="40")), "Line 1"),
    "unknown model": (as_jsonl(chat_line("a", model="meta-llama/llama-9-1t")), "Line 1"),
    "second model": (as_jsonl(chat_line("a"), chat_line("b", model="meta-llama/llama-3.1-8b-instruct")), "Line 2"),
    "repeated custom_id": (as_jsonl(chat_line("a"), chat_line("a")), "Line 2"),
    "other endpoint": (as_jsonl({**chat_line("a"), "url": "/v1/embeddings"}), "Line 1"),
    "max_tokens above the model": (as_jsonl(chat_line("a", max_tokens=10**9)), "Line 1"),
    "nested prompts on chat": (as_jsonl({"custom_id": "a", "body": {"model": LLAMA, "prompt": ["x"] * 40}}),
                               "Line 1"),
}


async def test_hostile_batch_lines_are_refused_by_line_and_nothing_billable_reaches_novita(
        sandbox, make_settings) -> None:
    charges_before = list(sandbox.state.charges)
    async with serve_over_http(sandbox, latency=0.02) as url:
        async with connect(http_server(sandbox, url, make_settings)) as client:
            results = {name: await client.call_tool("create_batch", {"jsonl": text})
                       for name, (text, _) in HOSTILE.items()}
    for name, (_, where) in HOSTILE.items():
        result = results[name]
        assert result.is_error, name
        assert where in result.content[0].text and "Nothing was sent" in result.content[0].text, name
    assert billable_requests(sandbox) == []
    assert sandbox.state.charges == charges_before


async def test_a_prompt_list_is_quoted_per_prompt_so_the_costly_batch_asks_first(sandbox, make_settings) -> None:
    """The issue's case: 40 prompts a line were quoted as one answer and the batch ran unasked."""
    prompts = [f"write 900 words about topic {i}" for i in range(40)]
    text = as_jsonl(*({"custom_id": f"p{i}", "body": {"model": R1, "prompt": prompts, "max_tokens": 600}}
                      for i in range(2)))
    async with serve_over_http(sandbox, latency=0.02) as url:
        async with connect(http_server(sandbox, url, make_settings)) as client:
            asked = await client.call_tool("create_batch", {"jsonl": text, "endpoint": "completions"})
            assert asked.structured_content["status"] == "confirmation_required", asked.content[0].text
            assert billable_requests(sandbox) == []
            view = asked.structured_content["confirmation"]
            quoted = Decimal(view["cost_usd"])
            # 2 lines x 40 prompts x 600 tokens at $2.50/M is $0.12 of output alone; one answer a line was $0.003.
            assert quoted >= Decimal("0.12")
            done = await client.call_tool("create_batch", {"jsonl": text, "endpoint": "completions",
                                                           "confirmation_token": view["token"]})
            assert not done.is_error, done.content[0].text
            batch_id = done.structured_content["result"]["batch"]["id"]
            sandbox.advance(3600)
            status = await client.call_tool("get_batch", {"batch_id": batch_id})
    assert status.structured_content["status"] == "COMPLETED" and status.structured_content["failed"] == 0
    charged = sum(c.amount_units for c in sandbox.state.charges if c.owner_id == batch_id) / UNITS_PER_USD
    # Every answer ran to max_tokens, so the charge is the quote (to the sandbox's 0.0001 USD rounding).
    assert abs(charged - quoted) <= Decimal("0.0002") and charged <= quoted + Decimal("0.0001")


async def test_a_line_without_max_tokens_is_quoted_at_the_models_ceiling(sandbox, make_settings) -> None:
    text = as_jsonl({"custom_id": "a", "body": {"model": R1, "messages": [{"role": "user", "content": "hi"}],
                                                "n": 2}})
    async with serve_over_http(sandbox, latency=0.02) as url:
        async with connect(http_server(sandbox, url, make_settings)) as client:
            asked = await client.call_tool("create_batch", {"jsonl": text})
    view = asked.structured_content["confirmation"]
    # R1 writes at most 32,768 tokens an answer: 2 answers x 32,768 x $2.50/M = $0.16384 (+ the prompt).
    assert Decimal(view["cost_usd"]) > Decimal("0.16384")
    assert "65,536 output tokens" in view["cost_basis"]
    assert billable_requests(sandbox) == []


# --- every other quote: counts, sizes and durations are validated before anything is priced -------

INSTANCE = {"name": "q", "product_id": "1", "image_url": "pytorch/pytorch:latest"}
ENDPOINT = {"name": "e", "image": "repo/worker:1", "product_id": "1"}
DEDICATED = {"name": "d", "model_name": "openai/gpt-oss-120b", "gpu_type": "gpu-rtx4090", "gpu_count": 1}
TRAINING = {"kind": "style", "name": "n", "base_model": "v1-5-pruned-emaonly", "assets_ids": ["a"]}
NEGATIVE_OR_ZERO = [
    ("chat", {"prompt": "hi", "max_tokens": 0}),
    ("chat", {"prompt": "hi", "max_tokens": -4096}),
    ("embed", {"inputs": []}),
    ("embed", {"inputs": [""]}),
    ("rerank", {"query": "q", "documents": []}),
    ("generate_image", {"prompt": "x", "count": 0}),
    ("generate_image", {"prompt": "x", "count": -8}),
    ("generate_image", {"prompt": "x", "steps": 0}),
    ("generate_image", {"prompt": "x", "width": -1024}),
    ("edit_image", {"operation": "img2img", "image": "https://example.com/a.png", "prompt": "p", "count": 0}),
    ("generate_video", {"prompt": "x", "model": "kling-v2.1-master", "duration": 0}),
    ("generate_video", {"prompt": "x", "model": "kling-v2.1-master", "duration": -10}),
    ("text_to_speech", {"text": ""}),
    ("create_instance", {**INSTANCE, "gpus": 0}),
    ("create_instance", {**INSTANCE, "gpus": -2}),
    ("create_instance", {**INSTANCE, "billing": "monthly", "months": 0}),
    ("create_instance", {**INSTANCE, "rootfs_gb": -100}),
    ("renew_instance", {"instance_id": "abc", "months": 0}),
    ("convert_instance_to_monthly", {"instance_id": "abc", "months": -1}),
    ("edit_instance", {"instance_id": "abc", "expand_disk_gb": -100}),
    ("create_network_storage", {"name": "v", "size_gb": 0, "cluster_id": "c"}),
    ("create_network_storage", {"name": "v", "size_gb": -10, "cluster_id": "c"}),
    ("create_serverless_endpoint", {**ENDPOINT, "min_workers": -1}),
    ("create_serverless_endpoint", {**ENDPOINT, "gpus_per_worker": 0}),
    ("update_serverless_endpoint", {"endpoint_id": "e", "min_workers": -1}),
    ("create_dedicated_endpoint", {**DEDICATED, "gpu_count": 0}),
    ("create_dedicated_endpoint", {**DEDICATED, "min_replicas": -1}),
    ("scale_dedicated_endpoint", {"endpoint_id": "e", "min_replicas": -1}),
    ("start_training", {**TRAINING, "max_train_steps": 0}),
    ("start_training", {**TRAINING, "max_train_steps": -500}),
]


async def test_negative_or_zero_counts_are_refused_by_every_billable_tool_before_novita_is_asked(
        sandbox, make_settings) -> None:
    before = len(sandbox.state.requests)
    async with serve_over_http(sandbox, latency=0.02) as url:
        async with connect(http_server(sandbox, url, make_settings)) as client:
            results = [(tool, args, await client.call_tool(tool, args)) for tool, args in NEGATIVE_OR_ZERO]
    for tool, args, result in results:
        assert result.is_error, (tool, args, result.content[0].text)
        assert "confirmation" not in (result.structured_content or {}), (tool, args)
    assert sandbox.state.requests[before:] == []  # not even a read: the arguments never reached a plan
