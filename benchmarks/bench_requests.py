"""Requests to Novita per guarded action: the plan call plus the confirmed call, for every guarded tool.

A guarded call reads what it needs once (the plan), and the confirmed call re-plans (the
server re-checks everything) and then performs the one request that acts. This prints, for
each guarded tool, how many requests the sandbox received for the whole token flow:
``confirmation_required`` + the call with the token, split into reads and writes.

    .venv/bin/python benchmarks/bench_requests.py

Counts, not timings: they do not depend on the machine.
"""

from __future__ import annotations

import base64
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from novita_mcp.hooks import Hooks
from novita_mcp.sandbox import ManualClock, Sandbox
from novita_mcp.sandbox.media_encode import image as encode_image
from novita_mcp.server import build_server
from novita_mcp.settings import Settings

LLAMA = "meta-llama/llama-3.3-70b-instruct"


def _settings(sandbox: Sandbox, state: str, mode: str) -> Settings:
    return Settings(api_key=sandbox.api_key, base_url=sandbox.base_url, dedicated_base_url=sandbox.base_url,
                    state_dir=Path(state), toolsets=["all"], token_secret="bench", confirm_mode=mode,  # type: ignore[arg-type]
                    auto_approve_usd=0, auto_approve_session_usd=1000)


async def _count(sandbox: Sandbox, client: Client, tool: str, args: dict[str, Any]) -> tuple[int, int, str]:
    before = len(sandbox.state.requests)
    first = await client.call_tool(tool, args)
    status = (first.structured_content or {}).get("status")
    if status == "confirmation_required":
        token = first.structured_content["confirmation"]["token"]
        final = await client.call_tool(tool, {**args, "confirmation_token": token})
        status = "error" if final.is_error else (final.structured_content or {}).get("status", "?")
    elif first.is_error:
        status = "error: " + first.content[0].text[:80]
    sent = sandbox.state.requests[before:]
    writes = sum(1 for r in sent if r.method not in ("GET", "HEAD"))
    return len(sent) - writes, writes, str(status)


async def main() -> int:
    sandbox = Sandbox(clock=ManualClock())
    sandbox.state.top_up("1000")  # room for the subscriptions
    state = tempfile.mkdtemp()
    media = Path(state) / "in.png"
    media.write_bytes(encode_image("png", 256, 256, 1))
    rows: list[tuple[str, int, int, str]] = []
    setup_server = build_server(_settings(sandbox, state + "/setup", "none"), sandbox.transport(),
                                hooks=Hooks(clock=sandbox.clock.now))
    server = build_server(_settings(sandbox, state + "/bench", "token"), sandbox.transport(), hooks=Hooks(clock=sandbox.clock.now))
    async with Client(setup_server) as setup, Client(server) as client:
        async def made(tool: str, args: dict[str, Any], pick: Callable[[dict[str, Any]], Any]) -> Any:
            result = await setup.call_tool(tool, args)
            assert not result.is_error, result.content[0].text
            return pick(result.structured_content["result"])

        inst = await made("create_instance", {"name": "b1", "product_id": "1", "image_url": "pytorch/pytorch:latest"},
                          lambda r: r["instance_id"])
        sandbox.advance(900)
        template = await made("create_template", {"name": "t", "image": "img:1"}, lambda r: r["resource_id"])
        storage = await made("create_network_storage", {"name": "v", "size_gb": 10, "cluster_id": "1"},
                             lambda r: r["storage_id"])
        auth = await made("create_registry_auth", {"registry": "ghcr.io", "username": "u", "password": "p"},
                          lambda r: r["auth_id"])
        network = await made("create_network", {"cluster_id": "1", "name": "n"}, lambda r: r["id"])
        endpoint = await made("create_serverless_endpoint", {"name": "sd", "image": "w:1", "product_id": "1",
                                                              "min_workers": 1, "max_workers": 2},
                              lambda r: r["endpoint_id"])
        job = await made("run_serverless_job", {"endpoint_id": endpoint, "input": {}}, lambda r: r["job_id"])
        dedicated = await made("create_dedicated_endpoint", {"name": "gpt", "model_name": "openai/gpt-oss-120b",
                                                             "gpu_type": "gpu-h100-sxm", "gpu_count": 1},
                               lambda r: r["id"])
        batch_lines = "\n".join(json.dumps({"custom_id": f"q{i}", "body": {
            "model": LLAMA, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 20}}) for i in range(400))
        batch = await made("create_batch", {"jsonl": batch_lines}, lambda r: r["batch"]["id"])
        assets = await made("upload_training_images", {"images": [str(media)]}, lambda r: r["assets_ids"])
        image_url = await made("generate_image", {"prompt": "x", "model": "flux-1-schnell", "width": 512,
                                                  "height": 512}, lambda r: r["files"][0]["url"])
        speech = await made("text_to_speech", {"text": "hello there"}, lambda r: r["files"][0]["url"])
        data_url = "data:image/png;base64," + base64.b64encode(media.read_bytes()).decode()

        cases: list[tuple[str, dict[str, Any]]] = [
            ("chat", {"prompt": "hello", "model": LLAMA, "max_tokens": 50}),
            ("embed", {"inputs": ["a", "b"]}),
            ("rerank", {"query": "q", "documents": ["a", "b"]}),
            ("create_batch", {"jsonl": batch_lines}),
            ("cancel_batch", {"batch_id": batch}),
            ("generate_image", {"prompt": "a fox", "model": "flux-1-schnell", "width": 512, "height": 512}),
            ("edit_image", {"operation": "upscale", "image": image_url, "scale": 2}),
            ("generate_video", {"prompt": "waves", "model": "wan-2.1", "resolution": "480p", "max_wait_seconds": 0}),
            ("text_to_speech", {"text": "hello"}),
            ("transcribe_audio", {"audio": speech}),
            ("reimagine_image", {"image": data_url}),
            ("merge_face", {"image": data_url, "face_image": data_url}),
            ("describe_image", {"image": data_url}),
            ("create_instance", {"name": "b2", "product_id": "1", "image_url": "pytorch/pytorch:latest"}),
            ("edit_instance", {"instance_id": inst, "expand_disk_gb": 10}),
            ("restart_instance", {"instance_id": inst}),
            ("upgrade_instance", {"instance_id": inst, "image_url": "img:2", "keep_data": True}),
            ("migrate_instance", {"instance_id": "seedinst15"}),
            ("stop_instance", {"instance_id": inst}),
            ("start_instance", {"instance_id": inst}),
            ("convert_instance_to_monthly", {"instance_id": inst, "months": 1}),
            ("renew_instance", {"instance_id": "seedmonthly01", "months": 1}),
            ("delete_instance", {"instance_id": "seedinst15"}),
            ("create_template", {"name": "t2", "image": "img:1"}),
            ("delete_template", {"template_id": template}),
            ("create_network_storage", {"name": "v2", "size_gb": 10, "cluster_id": "1"}),
            ("delete_network_storage", {"storage_id": storage}),
            ("create_registry_auth", {"registry": "ghcr.io", "username": "u2", "password": "p"}),
            ("delete_registry_auth", {"auth_id": auth}),
            ("create_serverless_endpoint", {"name": "sd2", "image": "w:1", "product_id": "1"}),
            ("update_serverless_endpoint", {"endpoint_id": endpoint, "min_workers": 2}),
            ("run_serverless_job", {"endpoint_id": endpoint, "input": {}}),
            ("cancel_serverless_job", {"endpoint_id": endpoint, "job_id": job}),
            ("delete_serverless_endpoint", {"endpoint_id": endpoint}),
            ("create_dedicated_endpoint", {"name": "gpt2", "model_name": "openai/gpt-oss-120b",
                                           "gpu_type": "gpu-h100-sxm", "gpu_count": 1}),
            ("scale_dedicated_endpoint", {"endpoint_id": dedicated, "min_replicas": 2}),
            ("delete_dedicated_endpoint", {"endpoint_id": dedicated}),
            ("create_network", {"cluster_id": "1", "name": "n2"}),
            ("rename_network", {"network_id": network, "name": "n3"}),
            ("delete_network", {"network_id": network}),
            ("upload_training_images", {"images": [str(media)]}),
            ("start_training", {"kind": "style", "name": "s", "base_model": "v1-5-pruned-emaonly",
                                "assets_ids": assets}),
        ]
        for tool, args in cases:
            reads, writes, status = await _count(sandbox, client, tool, args)
            rows.append((tool, reads, writes, status))
            sandbox.advance(120)

    print(f"{'guarded tool':32} {'reads':>5} {'writes':>6} {'total':>5}  outcome (plan call + confirmed call)")
    for tool, reads, writes, status in rows:
        print(f"{tool:32} {reads:5} {writes:6} {reads + writes:5}  {status}")
    totals = [r + w for _, r, w, _ in rows]
    print(f"\n{len(rows)} guarded tools; requests per confirmed action: min {min(totals)}, max {max(totals)}, "
          f"mean {sum(totals) / len(totals):.1f}")
    delete = next(r + w for t, r, w, _ in rows if t == "delete_instance")
    print(f"delete_instance: {delete} requests in all (target: at most 4; before Guard v2: 7)")
    return 0 if all(not s.startswith("error") for *_, s in rows) else 1


if __name__ == "__main__":
    sys.exit(anyio.run(main))
