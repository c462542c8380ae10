"""The API key never appears in output, errors, logs, audit records or reprs."""

from __future__ import annotations

import json
import logging

import pytest

from novita_mcp.client import NovitaClient
from novita_mcp.sandbox import FaultRule
from novita_mcp.settings import Settings

from .conftest import TEST_KEY, connect, elicitation

pytestmark = pytest.mark.anyio


def _dump(result) -> str:
    return json.dumps(result.model_dump(mode="json"), default=str)


async def test_no_tool_result_error_or_log_line_contains_the_key(make_server, sandbox, state_dir, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    server = make_server(confirm_mode="token")
    async with connect(server) as client:
        tools = (await client.list_tools()).tools
        seen.append(json.dumps([t.model_dump(mode="json") for t in tools]))
        for t in tools:  # every tool, with no arguments: results, validation errors, refusals
            seen.append(_dump(await client.call_tool(t.name, {})))
        sandbox.faults.add(FaultRule("unavailable", path="/", times=None))
        for t in tools[:10]:  # and with Novita failing underneath
            seen.append(_dump(await client.call_tool(t.name, {})))
    for record in caplog.records:
        seen.append(record.getMessage())
        if record.exc_text:
            seen.append(record.exc_text)
    audit = state_dir / "audit.jsonl"
    if audit.exists():
        seen.append(audit.read_text())
    blob = "\n".join(seen)
    assert len(blob) > 1000  # the sweep really produced output
    assert TEST_KEY not in blob


async def test_an_authentication_failure_does_not_echo_the_key(sandbox, make_settings, sleeps) -> None:
    from novita_mcp.hooks import Hooks
    from novita_mcp.server import build_server

    settings = make_settings(api_key=TEST_KEY + "_wrong")
    server = build_server(settings, sandbox.transport(), hooks=Hooks(clock=sandbox.clock.now))
    async with connect(server, elicit=elicitation("accept")) as client:
        result = await client.call_tool("get_balance", {})
    assert result.is_error and "UNAUTHORIZED" in result.content[0].text
    assert TEST_KEY not in _dump(result)


def test_reprs_of_settings_client_and_guard_pieces_hide_the_key(tmp_path) -> None:
    from novita_mcp.client._http import _BearerAuth
    from novita_mcp.guard import AuditLog, TokenSigner

    settings = Settings(api_key=TEST_KEY, state_dir=tmp_path)
    client = NovitaClient.from_settings(settings)
    texts = [repr(settings), str(settings), repr(client), repr(client.http), repr(client.http._client.auth),
             repr(_BearerAuth), repr(TokenSigner(b"secret")), repr(AuditLog(tmp_path / "a.jsonl")),
             repr(settings.model_dump())]
    assert not any(TEST_KEY in t for t in texts)


def test_the_audit_log_masks_secret_fields_and_the_key_inside_strings(tmp_path) -> None:
    from novita_mcp.guard import AuditLog

    log = AuditLog(tmp_path / "audit.jsonl", secrets=(TEST_KEY,))
    log.write("decision", "create_registry_auth",
              arguments={"username": "me", "password": "hunter2", "note": f"key is {TEST_KEY}"})
    text = (tmp_path / "audit.jsonl").read_text()
    assert "hunter2" not in text and TEST_KEY not in text and '"username": "me"' in text
