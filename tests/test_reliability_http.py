"""Every failure class gets a clear, truthful answer: through MCP, against the sandbox served over HTTP.

The sandbox runs on a loopback port with latency and fault injection (``tests/served.py``), the
server under test reaches it over real sockets, and the sandbox's request log is the ground truth.
Refused URLs never reach any other address: private and loopback targets are refused before a
connection, and "a name resolving to 127.0.0.1" is a resolver injected through the server's ``hooks``.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from novita_mcp.sandbox import FaultRule
from novita_mcp.sandbox.media_encode import png

from .conftest import connect
from .served import http_server, serve_mcp_over_http, serve_over_http

pytestmark = pytest.mark.anyio

LATENCY = 0.01
PNG_B64 = base64.b64encode(png(64, 64)).decode()


def text_of(result: Any) -> str:
    return " ".join(getattr(b, "text", "") for b in result.content)


def media_posts(sandbox) -> list[Any]:
    return [r for r in sandbox.state.requests if r.method in ("POST", "PUT") and r.path.startswith(("/v3", "/v3beta"))]


@pytest.fixture
async def served(sandbox) -> AsyncIterator[str]:
    async with serve_over_http(sandbox, latency=LATENCY) as base_url:
        yield base_url


async def fake_resolve(host: str, port: int) -> list[str]:
    """DNS for the tests: never the real resolver."""
    table = {"internal.example": ["127.0.0.1"], "metadata.example": ["93.184.216.34", "169.254.169.254"],
             "mapped.example": ["::ffff:10.0.0.1"]}
    if host not in table:
        raise OSError("unknown host")
    return table[host]


def server_for(sandbox, base_url, make_settings, **overrides: Any) -> Any:
    return http_server(sandbox, base_url, make_settings, hooks={"resolve": fake_resolve, "poll_interval": 2.0},
                       **overrides)


# --- item 3: reads retried on a drop mid-body, writes never ------------------------------------------------
@pytest.mark.parametrize(("tool", "path"), [("get_balance", "/openapi/v1/billing/balance/detail"),
                                            ("list_instances", "/gpu-instance/openapi/v1/gpu/instances")])
async def test_a_read_dropped_mid_body_is_retried_and_answers(sandbox, served, make_settings, tool, path) -> None:
    sandbox.faults.add(FaultRule("drop", path=path, method="GET", times=2))
    async with connect(server_for(sandbox, served, make_settings)) as client:
        result = await client.call_tool(tool, {})
    assert not result.is_error, text_of(result)
    assert len(sandbox.state.requests_to(path, "GET")) == 3  # two drops after the headers, then the answer


async def test_a_write_that_times_out_is_possibly_done_and_sent_once(sandbox, served, make_settings) -> None:
    sandbox.faults.add(FaultRule("slow", path="/v3beta/flux-1-schnell", method="POST", times=1, delay=0.6))
    before = len(sandbox.state.requests_to("/v3beta/flux-1-schnell", "POST"))
    async with connect(server_for(sandbox, served, make_settings, read_timeout=0.2)) as client:
        result = await client.call_tool("generate_image", {"prompt": "x", "width": 256, "height": 256})
    text = text_of(result)
    assert result.is_error and "may have" in text and "unexpected" not in text
    assert "try again" not in text.lower()
    assert len(sandbox.state.requests_to("/v3beta/flux-1-schnell", "POST")) == before + 1


# --- item 2: a submitted task never loses its id ----------------------------------------------------------
@pytest.mark.parametrize("kind", ["drop", "malformed"])
async def test_a_failed_status_check_after_submitting_still_returns_the_task_id(sandbox, served, make_settings,
                                                                               kind) -> None:
    sandbox.faults.add(FaultRule(kind, path="/v3/async/task-result", method="GET", times=4))
    async with connect(server_for(sandbox, served, make_settings)) as client:
        result = await client.call_tool("generate_image", {"prompt": "a dog", "model": "sd", "width": 512,
                                                           "height": 512})
        text = text_of(result)
        assert not result.is_error, text
        out = result.structured_content["result"]
        task_id = out["task_id"]
        assert task_id and out["status"] == "running"
        assert f'wait_for_task {{"task_id": "{task_id}"}}' in text and "unexpected" not in text
        sandbox.faults.clear()
        followed = await client.call_tool("wait_for_task", {"task_id": task_id, "max_wait_seconds": 50})
    assert not followed.is_error, text_of(followed)
    assert followed.structured_content["status"] == "succeeded"


# --- item 1: downloads ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "status"), [("forbidden", 403), ("not_found", 404), ("server_error", 500)])
async def test_a_paid_output_that_cannot_be_downloaded_still_returns_its_link_and_task(
        sandbox, served, make_settings, tmp_path, kind, status) -> None:
    async with connect(server_for(sandbox, served, make_settings, output_dir=tmp_path / "out")) as client:
        started = await client.call_tool("generate_image", {"prompt": "a dog", "model": "sd", "width": 512,
                                                            "height": 512, "max_wait_seconds": 0})
        task_id = started.structured_content["result"]["task_id"]
        sandbox.advance(600)
        sandbox.faults.add(FaultRule(kind, path="/files/", method="GET", times=None))
        result = await client.call_tool("wait_for_task", {"task_id": task_id, "max_wait_seconds": 0})
    text = text_of(result)
    assert not result.is_error, text
    out = result.structured_content
    assert out["status"] == "succeeded" and out["task_id"] == task_id
    file = out["files"][0]
    assert file["url"].startswith(served + "/files/") and file["local_path"] is None
    assert f"HTTP {status}" in file["note"] and "unexpected" not in text


async def test_a_batch_of_a_missing_file_id_says_not_found(sandbox, served, make_settings) -> None:
    async with connect(server_for(sandbox, served, make_settings)) as client:
        result = await client.call_tool("create_batch", {"input_file_id": "file-doesnotexist"})
    text = text_of(result)
    assert result.is_error and "unexpected" not in text
    assert "not found" in text.lower() or "404" in text
    assert not sandbox.state.requests_to("/openai/v1/batches", "POST")


async def test_edit_image_with_a_missing_image_url_names_the_status(sandbox, served, make_settings) -> None:
    async with connect(server_for(sandbox, served, make_settings)) as client:
        result = await client.call_tool("edit_image", {"operation": "upscale",
                                                       "image": served + "/files/media/nope/missing.png"})
    text = text_of(result)
    assert result.is_error and "HTTP 404" in text and "unexpected" not in text
    assert not media_posts(sandbox)


@pytest.mark.parametrize("url", ["http://exa\x01mple.com/a.png", "http://example.com/a b.png", "ftp://example.com/a.png",
                                 "http://user:pw@example.com/a.png", "http://2130706433/a.png"])
async def test_an_invalid_url_is_a_clear_argument_error(sandbox, served, make_settings, url) -> None:
    async with connect(server_for(sandbox, served, make_settings)) as client:
        result = await client.call_tool("edit_image", {"operation": "upscale", "image": url})
    text = text_of(result)
    assert result.is_error and "image: " in text and "unexpected" not in text
    assert not media_posts(sandbox)


# --- item 4: URLs that are refused ------------------------------------------------------------------------
REFUSED = ["http://127.0.0.1:9/x.png", "http://10.1.2.3/x.png", "http://169.254.169.254/latest/meta-data/",
           "http://[::1]/x.png", "http://[::ffff:127.0.0.1]/x.png", "http://internal.example/x.png",
           "http://metadata.example/x.png", "http://mapped.example/x.png", "http://0.0.0.0/x.png",
           "http://224.0.0.1/x.png", "http://100.64.0.1/x.png", "http://[fe80::1]/x.png"]


def calls_with(url: str) -> list[tuple[str, dict[str, Any]]]:
    return [("edit_image", {"operation": "upscale", "image": url}),
            ("edit_image", {"operation": "cleanup", "image": PNG_B64, "mask": url}),
            ("upload_training_images", {"images": [url]}),
            ("generate_video", {"model": "svd", "image": url, "prompt": "a boat"}),
            ("generate_video", {"model": "kling-v2.1", "image": url, "prompt": "a boat"})]


@pytest.mark.parametrize("url", REFUSED)
async def test_a_url_aimed_at_a_non_public_address_is_refused_before_any_fetch(sandbox, served, make_settings,
                                                                               url) -> None:
    # Auto-approved, so every call reaches its body, where the URL is judged.
    async with connect(server_for(sandbox, served, make_settings, auto_approve_usd=100)) as client:
        results = [(tool, await client.call_tool(tool, args)) for tool, args in calls_with(url)]
    for tool, result in results:
        text = text_of(result)
        assert result.is_error, (tool, text)
        assert "non-public" in text or "unusual form" in text, (tool, text)
        assert "unexpected" not in text
    assert not media_posts(sandbox) and not sandbox.state.requests_to("/v3/assets")


async def test_a_redirect_to_a_private_address_is_not_followed(sandbox, served, make_settings) -> None:
    sandbox.faults.add(FaultRule("redirect", path="/files/media/hop/", method="GET", times=None,
                                 location="http://169.254.169.254/latest/meta-data/"))
    async with connect(server_for(sandbox, served, make_settings)) as client:
        result = await client.call_tool("edit_image", {"operation": "upscale",
                                                       "image": served + "/files/media/hop/x.png"})
    text = text_of(result)
    assert result.is_error and "non-public" in text and "unexpected" not in text
    assert len(sandbox.state.requests_to("/files/media/hop/")) == 1 and not media_posts(sandbox)


async def test_the_sandbox_s_own_file_urls_are_allowed(sandbox, served, make_settings) -> None:
    """The served sandbox's origin (that one port) is trusted: its outputs can be edited further."""
    async with connect(server_for(sandbox, served, make_settings)) as client:
        made = await client.call_tool("generate_image", {"prompt": "x", "width": 256, "height": 256})
        url = made.structured_content["result"]["files"][0]["url"]
        result = await client.call_tool("edit_image", {"operation": "upscale", "image": url})
    assert url.startswith(served + "/files/")
    assert not result.is_error, text_of(result)


# --- local paths over HTTP ----------------------------------------------------------------------------------
async def test_local_paths_over_http_are_refused_alike_whether_they_exist_or_not(sandbox, served, make_settings,
                                                                                tmp_path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(64, 64))
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "ok.png").write_bytes(png(64, 64))
    (allowed / "link.png").symlink_to(secret)
    server = server_for(sandbox, served, make_settings, files_dir=allowed)
    async with serve_mcp_over_http(server) as url, Client(url) as client:
        answers = {}
        for name, value in {"exists": str(secret), "missing": str(tmp_path / "nope.png"),
                            "dotdot": str(allowed / ".." / "secret.png"), "link": str(allowed / "link.png"),
                            "proc": "/proc/self/environ", "home": "~/.ssh/id_rsa"}.items():
            result = await client.call_tool("edit_image", {"operation": "upscale", "image": value})
            assert result.is_error
            answers[name] = text_of(result).replace(value, "<path>")
        assert len(set(answers.values())) == 1, answers
        assert "NOVITA_MCP_FILES_DIR" in answers["exists"]
        inside = await client.call_tool("edit_image", {"operation": "upscale", "image": str(allowed / "ok.png")})
        relative = await client.call_tool("upload_training_images", {"images": ["ok.png"]})
    assert not inside.is_error, text_of(inside)
    assert not relative.is_error, text_of(relative)


async def test_without_a_files_dir_no_local_file_is_read_over_http(sandbox, served, make_settings, tmp_path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(png(64, 64))
    async with serve_mcp_over_http(server_for(sandbox, served, make_settings)) as url, Client(url) as client:
        result = await client.call_tool("upload_training_images", {"images": [str(photo)]})
        inline = await client.call_tool("edit_image", {"operation": "upscale",
                                                       "image": PNG_B64})
    assert result.is_error and "NOVITA_MCP_FILES_DIR" in text_of(result)
    assert not inline.is_error, text_of(inline)  # base64 still works over HTTP
    assert not sandbox.state.requests_to("/v3/assets")


async def test_a_batch_input_path_over_http_follows_the_same_rule(sandbox, served, make_settings, tmp_path) -> None:
    line = '{"custom_id": "a", "body": {"model": "meta-llama/llama-3.3-70b-instruct", "messages": [{"role": "user", ' \
           '"content": "hi"}], "max_tokens": 5}}\n'
    (tmp_path / "secret.jsonl").write_text(line)
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "ok.jsonl").write_text(line)
    async with serve_mcp_over_http(server_for(sandbox, served, make_settings)) as url, Client(url) as client:
        outside = await client.call_tool("create_batch", {"path": str(tmp_path / "secret.jsonl")})
        missing = await client.call_tool("create_batch", {"path": str(tmp_path / "nope.jsonl")})
    async with serve_mcp_over_http(server_for(sandbox, served, make_settings, files_dir=allowed)) as url, \
            Client(url) as client:
        inside = await client.call_tool("create_batch", {"path": str(allowed / "ok.jsonl")})
    assert outside.is_error and "NOVITA_MCP_FILES_DIR" in text_of(outside)
    assert text_of(outside).replace("secret", "nope") == text_of(missing)
    assert not inside.is_error, text_of(inside)
    assert len(sandbox.state.requests_to("/openai/v1/files", "POST")) == 1


def test_the_policy_runs_before_anything_is_opened(tmp_path, monkeypatch) -> None:
    from novita_mcp.urlpolicy import PathPolicy

    opened: list[str] = []
    real_open = Path.open

    def spy(self, *args, **kwargs):  # noqa: ANN001
        opened.append(str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy)
    assert PathPolicy(None).resolve("/etc/passwd", remote=True) is None
    assert PathPolicy(tmp_path).resolve("/etc/passwd", remote=True) is None
    assert opened == []


@pytest.mark.parametrize("kind", ["server_error", "drop"])
async def test_a_batch_whose_creation_fails_after_the_upload_hands_back_the_file_id(sandbox, served, make_settings,
                                                                                    kind) -> None:
    line = ('{"custom_id": "r1", "body": {"model": "meta-llama/llama-3.3-70b-instruct", '
            '"messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}}')
    sandbox.faults.add(FaultRule(kind, path="/openai/v1/batches", method="POST", times=1))
    async with connect(server_for(sandbox, served, make_settings)) as client:
        failed = await client.call_tool("create_batch", {"jsonl": line})
        text = text_of(failed)
        assert failed.is_error and "unexpected" not in text
        file_id = text.split("uploaded as file ", 1)[1].split(";", 1)[0]
        assert f'{{"input_file_id": "{file_id}"}}' in text
        again = await client.call_tool("create_batch", {"input_file_id": file_id})
    assert not again.is_error, text_of(again)
    assert len(sandbox.state.requests_to("/openai/v1/files", "POST")) == 1  # uploaded once
