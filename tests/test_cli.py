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


def test_every_setting_has_a_flag_or_says_why_not_and_every_flag_has_a_variable() -> None:
    from novita_mcp.cli import build_parser
    from novita_mcp.settings import Settings, setting_specs

    specs = setting_specs()
    assert [s.field for s in specs] == list(Settings.model_fields)  # derived from the fields, none left out
    for spec in specs:
        assert spec.env.startswith("NOVITA_"), spec
        assert bool(spec.flags) != bool(spec.env_only), spec  # a flag, or a reason for having none
        if spec.secret:
            assert not spec.flags, f"{spec.env} is a secret and must not be a flag (ps shows command lines)"
    twins = {flag: spec.field for spec in specs for flag in spec.flags}
    twins |= {"--no-" + flag[2:]: spec.field for spec in specs if spec.kind == "bool" for flag in spec.flags}
    parser = build_parser()
    server_flags = {flag for action in parser._actions for flag in action.option_strings}
    not_settings = {"-h", "--help", "--version"}
    assert server_flags - not_settings == set(twins), "every server flag is a setting's twin"


@pytest.mark.parametrize("spec", [s for s in __import__("novita_mcp.settings", fromlist=["x"]).setting_specs() if s.flags],
                         ids=lambda s: s.env)
def test_a_flag_and_its_variable_give_the_same_setting(spec, monkeypatch) -> None:
    from novita_mcp.cli import build_parser, settings_from_args
    from novita_mcp.settings import Settings

    samples = {"bool": ("true", []), "list": ("get_balance,chat", ["get_balance,chat"]),
               "choice": (spec.choices[-1] if spec.choices else "", [spec.choices[-1]] if spec.choices else [])}
    values = {"base_url": "http://example.test", "dedicated_base_url": "http://example.test", "port": "8123",
              "host": "0.0.0.0", "toolsets": "gpu,media", "token_ttl_seconds": "70"}
    if spec.kind in samples:
        env_value, flag_args = samples[spec.kind]
        if spec.field == "toolsets":
            env_value, flag_args = "gpu,media", ["gpu,media"]
    elif spec.field in values:
        env_value = values[spec.field]
        flag_args = [env_value]
    elif "Path" in str(Settings.model_fields[spec.field].annotation):
        env_value, flag_args = "/tmp/novita-x", ["/tmp/novita-x"]
    else:
        env_value, flag_args = "9", ["9"]
    monkeypatch.setenv(spec.env, env_value)
    from_env = getattr(Settings(), spec.field)
    monkeypatch.delenv(spec.env)
    from_flag = getattr(settings_from_args(build_parser().parse_args([spec.flags[0], *flag_args])), spec.field)
    assert from_env == from_flag and from_env != Settings.model_fields[spec.field].get_default(call_default_factory=True)


def test_flags_override_the_environment(tmp_path, monkeypatch) -> None:
    from novita_mcp.cli import build_parser, settings_from_args

    monkeypatch.setenv("NOVITA_MCP_TOKEN_TTL_SECONDS", "60")
    monkeypatch.setenv("NOVITA_MCP_READ_ONLY", "true")
    args = build_parser().parse_args(["--token-ttl-seconds", "120", "--audit-log", str(tmp_path / "a.jsonl"),
                                      "--ledger-path", str(tmp_path / "l.db"), "--no-read-only"])
    settings = settings_from_args(args)
    assert settings.token_ttl_seconds == 120 and not settings.read_only
    assert settings.resolved_audit_log_path == tmp_path / "a.jsonl"
    assert settings.resolved_ledger_path == tmp_path / "l.db"


def test_server_flags_work_before_or_after_doctor() -> None:
    from novita_mcp.cli import build_parser, settings_from_args

    before = settings_from_args(build_parser().parse_args(["--sandbox", "--max-gpus", "2", "doctor"]))
    after = settings_from_args(build_parser().parse_args(["doctor", "--sandbox", "--max-gpus", "2"]))
    mixed = settings_from_args(build_parser().parse_args(["--sandbox", "doctor", "--max-gpus", "2"]))
    assert before == after == mixed and after.sandbox and after.max_gpus == 2


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("NOVITA_MCP_DENY_TOOLS", "create_instance,delete_instance", "deny_tools", ["create_instance", "delete_instance"]),
        ("NOVITA_MCP_ALLOW_TOOLS", "Get-Balance, chat", "allow_tools", ["get_balance", "chat"]),
        ("NOVITA_MCP_TOOLSETS", "gpu,media", "toolsets", ["gpu", "media"]),
        ("NOVITA_MCP_ALLOW_HOSTS", "mcp.example.com,mcp2.example.com", "allow_hosts",
         ["mcp.example.com", "mcp2.example.com"]),
        ("NOVITA_MCP_DENY_TOOLS", '["get_instance"]', "deny_tools", ["get_instance"]),
    ],
)
def test_every_list_setting_reads_a_comma_separated_variable(monkeypatch, variable, value, field, expected) -> None:
    from novita_mcp.settings import Settings

    monkeypatch.setenv(variable, value)
    assert getattr(Settings(), field) == expected


@pytest.mark.parametrize("spec", [s for s in __import__("novita_mcp.settings", fromlist=["x"]).setting_specs()
                                  if s.kind == "list"], ids=lambda s: s.env)
def test_any_list_setting_added_later_reads_a_comma_separated_variable_too(monkeypatch, spec) -> None:
    from novita_mcp.settings import Settings

    monkeypatch.setenv(spec.env, "a, b")
    assert getattr(Settings(), spec.field) == ["a", "b"]


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"NOVITA_MCP_DENY_TOOLS": "create_instance,delete_instance"}, None),  # the documented form starts
        ({"NOVITA_MCP_DENY_TOOLS": "create_instance,no_such_tool"}, "unknown tool 'no_such_tool' in NOVITA_MCP_DENY_TOOLS"),
        ({"NOVITA_MCP_ALLOW_TOOLS": "getbalance"}, "valid names: "),
        ({"NOVITA_MCP_READ_ONLY": "maybe"}, "NOVITA_MCP_READ_ONLY='maybe' (--read-only)"),
        ({"NOVITA_MCP_PORT": "0", "NOVITA_MCP_TRANSPORT": "http"}, "NOVITA_MCP_PORT='0'"),
        ({"NOVITA_MCP_TRANSPORT": "sse"}, "NOVITA_MCP_TRANSPORT"),
        ({"NOVITA_MCP_TOKEN_TTL_SECONDS": "1"}, "NOVITA_MCP_TOKEN_TTL_SECONDS"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_2_and_good_lists_start(tmp_path, env, needle) -> None:
    if needle is None:
        result = _run(["--sandbox", "doctor"], env, tmp_path)
        assert result.returncode == 0, result.stderr
        return
    result = _run(["--sandbox", "doctor"], env, tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and needle in lines[0], result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_secret_in_a_bad_setting_is_never_echoed(tmp_path) -> None:
    from novita_mcp.cli import CLIError, _pydantic_message
    from novita_mcp.settings import Settings

    try:
        Settings(http_token=["not", "a", "string", "sk_secret_value_123"])
    except Exception as exc:  # noqa: BLE001 - the pydantic error is what is formatted
        message = _pydantic_message(exc)
    assert "sk_secret_value_123" not in message and "NOVITA_MCP_HTTP_TOKEN=<hidden>" in message
    assert CLIError  # the error type the message travels in


def test_version_prints_the_package_version(tmp_path) -> None:
    from novita_mcp import __version__

    result = _run(["--version"], {}, tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"novita-mcp {__version__}"


def test_on_a_terminal_the_stdio_server_says_it_waits_for_a_client(tmp_path) -> None:
    import pty

    leader, follower = pty.openpty()
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "NOVITA_MCP_STATE_DIR": str(tmp_path / "st")}
    proc = subprocess.Popen([sys.executable, "-m", "novita_mcp", "--sandbox"], stdin=follower,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=base)
    os.close(follower)
    try:
        line = proc.stderr.readline().decode()  # type: ignore[union-attr]
    finally:
        os.close(leader)  # end of input: the server stops
        proc.kill()
        proc.wait(timeout=30)
    assert "waiting for an MCP client" in line and "inspector" in line and "Ctrl-C" in line


def test_off_a_terminal_the_stdio_server_prints_nothing_before_mcp(tmp_path) -> None:
    result = _run(["--sandbox"], {}, tmp_path)  # stdin is /dev/null: a client would be there
    assert result.returncode == 0 and result.stdout == "" and "waiting" not in result.stderr


@pytest.mark.parametrize("client", ["claude-desktop", "claude-code", "cursor", "vscode"])
def test_config_prints_a_working_entry_for_this_install(tmp_path, client) -> None:
    import json

    from novita_mcp.manifests import this_install

    result = _run(["config", client], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    servers = config["servers"] if client == "vscode" else config["mcpServers"]
    launcher = this_install()
    assert servers["novita"]["command"] == launcher.command and Path(launcher.command).is_absolute()
    assert servers["novita-sandbox"]["args"] == [*launcher.args, "--sandbox", "--toolsets", "default"]
    published = json.loads(_run(["config", client, "--published"], {}, tmp_path).stdout)
    published_servers = published["servers"] if client == "vscode" else published["mcpServers"]
    assert published_servers["novita"]["command"] == "uvx" and published_servers["novita"]["args"] == ["novita-mcp"]


async def test_the_config_this_install_prints_starts_a_working_sandbox_server(tmp_path) -> None:
    import json

    config = json.loads(_run(["config", "claude-code"], {}, tmp_path).stdout)
    entry = config["mcpServers"]["novita-sandbox"]
    params = StdioServerParameters(command=entry["command"], args=entry["args"],
                                   env={"HOME": str(tmp_path), "NOVITA_MCP_STATE_DIR": str(tmp_path / "st")})
    with anyio.fail_after(60):
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
    from novita_mcp.server import TOOLSETS

    default = {spec.name for info in TOOLSETS if info.default for spec in info.tools}
    assert {t.name for t in tools} == default


def test_config_for_http_is_pasteable_json_and_claude_desktop_says_why_not(tmp_path) -> None:
    import json

    ok = _run(["config", "cursor", "--http", "http://127.0.0.1:8000/mcp"], {}, tmp_path)
    assert json.loads(ok.stdout)["mcpServers"]["novita"]["url"] == "http://127.0.0.1:8000/mcp"
    refused = _run(["config", "claude-desktop", "--http", "http://127.0.0.1:8000/mcp"], {}, tmp_path)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1


async def test_the_sandbox_shows_the_default_toolsets_unless_told_otherwise(tmp_path) -> None:
    from novita_mcp.runtime import prepare
    from novita_mcp.server import TOOLSETS
    from novita_mcp.settings import Settings

    everything = {spec.name for info in TOOLSETS for spec in info.tools}
    default = {spec.name for info in TOOLSETS if info.default for spec in info.tools}
    plain, _ = prepare(Settings(sandbox=True, state_dir=tmp_path))
    every, _ = prepare(Settings(sandbox=True, state_dir=tmp_path, toolsets=["all"]))
    narrowed, _ = prepare(Settings(sandbox=True, state_dir=tmp_path, toolsets=["account"]))
    plus_one, _ = prepare(Settings(sandbox=True, state_dir=tmp_path, toolsets=["default", "batch"]))
    assert {t.name for t in await plain.list_tools()} == default
    assert {t.name for t in await every.list_tools()} == everything
    assert {t.name for t in await narrowed.list_tools()} == {"get_balance", "list_usage_bills",
                                                             "list_fixed_term_bills", "list_monthly_bills"}
    batch = {spec.name for spec in next(t for t in TOOLSETS if t.id == "batch").tools}
    assert {t.name for t in await plus_one.list_tools()} == default | batch
