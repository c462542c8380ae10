"""get_task and wait_for_task through MCP: states, progress, bounds, errors."""

from __future__ import annotations

import functools
import time

import httpx
import pytest

from .conftest import connect

pytestmark = pytest.mark.anyio


@pytest.fixture
def frozen_server(make_server):
    """Servers whose waits poll back to back."""
    return functools.partial(make_server, hooks={"poll_interval": 0.0})


async def _submit(sandbox, path: str, body: dict) -> str:
    async with httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(),
                                 headers={"Authorization": f"Bearer {sandbox.api_key}"}) as http:
        return (await http.post(path, json=body)).json()["task_id"]


async def test_get_task_shows_progress_then_files(frozen_server, sandbox) -> None:
    task_id = await _submit(sandbox, "/v3/async/kling-o1-t2v", {"prompt": "fox"})
    async with connect(frozen_server()) as client:
        sandbox.advance(35)
        running = await client.call_tool("get_task", {"task_id": task_id})
        sandbox.advance(100)
        done = await client.call_tool("get_task", {"task_id": task_id})
    assert running.structured_content["status"] == "running"
    assert running.structured_content["progress_percent"] == 50 and running.structured_content["eta_seconds"] == 30
    assert done.structured_content["status"] == "succeeded"
    assert [f["mime_type"] for f in done.structured_content["files"]] == ["video/mp4"]
    assert [b.type for b in done.content] == ["text", "resource_link"]


async def test_one_poll_suffices_after_the_sandbox_clock_moves(frozen_server, sandbox) -> None:
    task_id = await _submit(sandbox, "/v3/async/qwen-image-txt2img", {"prompt": "sign"})
    sandbox.advance(60)
    async with connect(frozen_server()) as client:
        done = await client.call_tool("wait_for_task", {"task_id": task_id, "max_wait_seconds": 50})
    assert done.structured_content["status"] == "succeeded"
    polls = [r for r in sandbox.state.requests if r.path == "/v3/async/task-result"]
    assert len(polls) == 1


async def test_a_frozen_task_returns_still_running_within_the_bound(frozen_server, sandbox) -> None:
    task_id = await _submit(sandbox, "/v3/async/vidu-q1-text2video", {"prompt": "fox"})
    started = time.monotonic()
    async with connect(frozen_server()) as client:
        result = await client.call_tool("wait_for_task", {"task_id": task_id, "max_wait_seconds": 0})
    assert time.monotonic() - started < 5
    assert result.structured_content["status"] == "running" and task_id in result.content[0].text


async def test_unknown_tasks_and_bad_ids_are_errors(frozen_server) -> None:
    async with connect(frozen_server()) as client:
        unknown = await client.call_tool("get_task", {"task_id": "0b9c3c1e-missing"})
        bad = await client.call_tool("wait_for_task", {"task_id": "../etc", "max_wait_seconds": 5})
        too_long = await client.call_tool("wait_for_task", {"task_id": "abc", "max_wait_seconds": 120})
    assert unknown.is_error and "TASK_NOT_FOUND" in unknown.content[0].text
    assert bad.is_error and too_long.is_error
