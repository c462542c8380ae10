"""Ids never steer a URL: one pattern per kind, in every tool schema and again in the client."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from novita_mcp import ids
from novita_mcp.client import InvalidIdError, NovitaClient

from .conftest import connect
from .served import http_server, serve_over_http

TRAVERSAL = "../../../gpu-instance/openapi/v1/gpu/instances?x="
ID_KINDS = [ids.INSTANCE, ids.GPU_RESOURCE, ids.NETWORK, ids.ENDPOINT, ids.ENDPOINT_NAME, ids.JOB, ids.MEDIA_TASK,
            ids.TRAINING_TASK, ids.BATCH, ids.FILE, ids.ASSET, ids.PRODUCT, ids.CLUSTER]


def id_params(schema: dict[str, Any]) -> list[tuple[str, bool]]:
    """(name, is a list) of every id-like parameter of a tool."""
    out = []
    for name in schema.get("properties", {}):
        if name.endswith(("_id", "_ids")) and name not in ("voice_id", "resource_id"):
            out.append((name, name.endswith("_ids")))
    return out


@pytest.mark.anyio
async def test_a_path_traversal_id_is_refused_on_every_id_parameter(sandbox, make_settings) -> None:
    async with serve_over_http(sandbox, latency=0.0) as base_url:
        server = http_server(sandbox, base_url, make_settings)
        async with connect(server) as client:
            tools = (await client.list_tools()).tools
            before = len(sandbox.state.requests)
            checked = []
            for tool in tools:
                for name, many in id_params(tool.input_schema):
                    result = await client.call_tool(tool.name, {name: [TRAVERSAL] if many else TRAVERSAL})
                    text = " ".join(getattr(b, "text", "") for b in result.content)
                    assert result.is_error, (tool.name, name)
                    assert name in text and "unexpected" not in text, (tool.name, name, text)
                    checked.append((tool.name, name))
            # ground truth: the sandbox saw no request at all from those calls
            assert sandbox.state.requests[before:] == []
    assert len(checked) >= 40  # every id parameter of every toolset was tried
    assert ("create_batch", "input_file_id") in checked and ("get_task", "task_id") in checked


@pytest.mark.parametrize("kind", ID_KINDS, ids=lambda k: k.name)
@pytest.mark.parametrize("bad", [TRAVERSAL, "..", ".", "a/b", "a?b", "a#b", "a%2Fb", "a b", "", "x" * 300, "-abc",
                                 "a\nb"])
def test_every_kind_refuses_what_could_change_a_url(kind: ids.IdKind, bad: str) -> None:
    assert not kind.matches(bad)
    with pytest.raises(InvalidIdError):
        ids.segment(kind, bad)


def test_real_looking_ids_pass_and_are_encoded_as_one_segment() -> None:
    assert ids.segment(ids.FILE, "file-0123456789abcdef") == "file-0123456789abcdef"
    assert ids.segment(ids.MEDIA_TASK, "5c7a0f1e-8d2b-4c3e-9f10-0a1b2c3d4e5f") == "5c7a0f1e-8d2b-4c3e-9f10-0a1b2c3d4e5f"
    assert ids.segment(ids.BATCH, "batch_1:2") == "batch_1%3A2"
    assert ids.segment(ids.LLM_MODEL, "meta-llama/llama-3.3-70b-instruct") == "meta-llama/llama-3.3-70b-instruct"
    assert not ids.LLM_MODEL.matches("meta-llama/../../v3/user")


@pytest.mark.anyio
async def test_the_client_refuses_a_bad_id_before_sending(sandbox) -> None:
    """Defence in depth: a plan function or a Novita answer can hand the client an id too."""
    async with NovitaClient(api_key=SecretStr(sandbox.api_key), base_url=sandbox.base_url,
                            transport=sandbox.transport()) as client:
        before = len(sandbox.state.requests)
        calls = [client.llm.batch.file_content(TRAVERSAL, max_bytes=10), client.llm.batch.get(TRAVERSAL),
                 client.llm.batch.create(TRAVERSAL), client.llm.batch.cancel(".."),
                 client.dedicated.get(TRAVERSAL), client.serverless.job("ep", TRAVERSAL),
                 client.serverless.run("../x", {}), client.media.task_result(TRAVERSAL),
                 client.training.get("style", TRAVERSAL), client.gpu.get_instance(TRAVERSAL), client.llm.model("../../x")]
        for call in calls:
            with pytest.raises(InvalidIdError) as info:
                await call
            assert "nothing was sent" in info.value.describe()
        assert sandbox.state.requests[before:] == []
