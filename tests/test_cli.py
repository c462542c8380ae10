"""The command line: one-line errors, and the real stdio server against the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

pytestmark = pytest.mark.anyio


def _run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "NOVITA_MCP_STATE_DIR": str(tmp_path / "st")}
    return subprocess.run([sys.executable, "-m", "novita_mcp", *args], capture_output=True, text=True,
                          env={**base, **env}, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        ([], {}, "NOVITA_API_KEY"),
        (["--sandbox", "--toolsets", "account,nope"], {}, "unknown toolset 'nope'"),
        (["--sandbox"], {"NOVITA_MCP_MAX_GPUS": "lots"}, "NOVITA_MCP_MAX_GPUS='lots'"),
        (["--sandbox"], {"NOVITA_MCP_CONFIRM_MODE": "sometimes"}, "NOVITA_MCP_CONFIRM_MODE"),
    ],
)
def test_bad_start_up_input_gives_one_line_and_a_non_zero_exit(tmp_path, args, env, needle) -> None:
    result = _run(args, env, tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in result.stderr


def test_unknown_toolset_message_lists_the_allowed_ones(tmp_path) -> None:
    result = _run(["--sandbox", "--toolsets", "nope"], {}, tmp_path)
    assert "account" in result.stderr and "'all'" in result.stderr


async def test_the_real_stdio_server_lists_and_calls_tools_against_the_sandbox(tmp_path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "novita_mcp", "--sandbox", "--toolsets", "all"],
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "NOVITA_MCP_STATE_DIR": str(tmp_path / "st")},
    )
    with anyio.fail_after(60):
        async with Client(params) as client:
            tools = await client.list_tools()
            balance = await client.call_tool("get_balance", {})
            bad = await client.call_tool("list_monthly_bills", {"limit": 1000})
            again = await client.call_tool("get_balance", {})
    assert "get_balance" in {t.name for t in tools.tools}
    assert not balance.is_error and "$50.00" in balance.content[0].text
    assert bad.is_error and "24" in bad.content[0].text
    assert not again.is_error


def test_every_guard_setting_has_a_flag_except_the_secrets() -> None:
    from novita_mcp.cli import _FLAG_FIELDS
    from novita_mcp.settings import Settings

    guard_fields = {name for name in Settings.model_fields
                    if Settings.model_fields[name].validation_alias.choices[0].startswith("NOVITA_MCP_")}  # type: ignore[union-attr]
    secrets = {"token_secret", "http_token"}
    assert guard_fields - secrets == set(_FLAG_FIELDS.values())


def test_flags_override_the_environment(tmp_path, monkeypatch) -> None:
    from novita_mcp.cli import build_parser, settings_from_args

    monkeypatch.setenv("NOVITA_MCP_TOKEN_TTL_SECONDS", "60")
    args = build_parser().parse_args(["--token-ttl-seconds", "120", "--audit-log", str(tmp_path / "a.jsonl"),
                                      "--ledger-path", str(tmp_path / "l.db"), "--read-only"])
    settings = settings_from_args(args)
    assert settings.token_ttl_seconds == 120 and settings.read_only
    assert settings.resolved_audit_log_path == tmp_path / "a.jsonl"
    assert settings.resolved_ledger_path == tmp_path / "l.db"


async def test_the_sandbox_shows_every_toolset_unless_told_otherwise(tmp_path) -> None:
    from novita_mcp.runtime import prepare
    from novita_mcp.server import TOOLSETS, load_toolset
    from novita_mcp.settings import Settings

    everything = {spec.name for info in TOOLSETS for spec in load_toolset(info).tools}
    server, _ = prepare(Settings(sandbox=True, state_dir=tmp_path))
    narrowed, _ = prepare(Settings(sandbox=True, state_dir=tmp_path, toolsets=["account"]))
    assert {t.name for t in await server.list_tools()} == everything
    assert {t.name for t in await narrowed.list_tools()} == {"get_balance", "list_usage_bills",
                                                             "list_fixed_term_bills", "list_monthly_bills"}
