"""`novita-mcp doctor` against the sandbox: healthy, refused key, no key, empty balance, no network."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from novita_mcp.doctor import mask_key, run_doctor
from novita_mcp.manifests import client_configs
from novita_mcp.sandbox import Sandbox
from novita_mcp.settings import Settings
from tests.conftest import TEST_KEY


def doctor(settings: Settings, transport: httpx.AsyncBaseTransport | None) -> tuple[int, str]:
    out = io.StringIO()
    code = run_doctor(settings, transport=transport, out=out)
    return code, out.getvalue()


def line(report: str, name: str) -> str:
    (found,) = [ln for ln in report.splitlines() if re.match(rf"\[\w+\]\s+{name}:", ln)]
    return found


def test_a_healthy_installation_passes_and_the_key_is_shown_only_masked(
    sandbox: Sandbox, make_settings: Callable[..., Settings]
) -> None:
    code, report = doctor(make_settings(), sandbox.transport())
    assert code == 0
    assert TEST_KEY not in report
    assert line(report, "API key").endswith(f"sk_...{TEST_KEY[-4:]} ({len(TEST_KEY)} characters)")
    assert line(report, "key accepted").startswith("[ok]")
    assert "$50.00 available" in line(report, "balance")
    assert "answered in" in line(report, "reachability")
    assert "$0.10 run unasked" in line(report, "confirmation")
    assert report.rstrip().endswith("Result: ready")


def test_the_report_carries_a_ready_to_paste_config_for_every_client(
    sandbox: Sandbox, make_settings: Callable[..., Settings]
) -> None:
    from novita_mcp.manifests import this_install

    _, report = doctor(make_settings(), sandbox.transport())
    for config in client_configs(launcher=this_install()).values():  # the command of this very install
        assert json.dumps(config, indent=2) in report
    assert '"command": "uvx", "args": ["novita-mcp"]' in report and "Once novita-mcp is published" in report


def test_a_refused_key_fails_without_printing_it(sandbox: Sandbox, make_settings: Callable[..., Settings]) -> None:
    wrong = "sk_wrong_key_DO_NOT_LEAK_0000abcd"
    code, report = doctor(make_settings(api_key=wrong), sandbox.transport())
    assert code == 1
    assert wrong not in report
    assert line(report, "key accepted").startswith("[FAIL]")
    assert "NOVITA_API_KEY" in line(report, "key accepted")
    assert "key accepted" in report.splitlines()[-1]


def test_a_missing_key_fails_before_any_request(sandbox: Sandbox, make_settings: Callable[..., Settings]) -> None:
    code, report = doctor(make_settings(api_key=None), sandbox.transport())
    assert code == 1
    assert "NOVITA_API_KEY is not set" in line(report, "API key")
    assert sandbox.state.requests == []


def test_an_empty_balance_fails(sandbox: Sandbox, make_settings: Callable[..., Settings]) -> None:
    sandbox.state.balance_units = Decimal(0)
    code, report = doctor(make_settings(), sandbox.transport())
    assert code == 1
    assert line(report, "balance").startswith("[FAIL]")
    assert "top up" in line(report, "balance")


def test_an_unreachable_api_fails_with_the_base_url(make_settings: Callable[..., Settings]) -> None:
    def refuse(request: httpx.Request) -> Any:
        raise httpx.ConnectError("connection refused", request=request)

    code, report = doctor(make_settings(base_url="https://api.example.invalid"), httpx.MockTransport(refuse))
    assert code == 1
    assert "https://api.example.invalid did not answer" in line(report, "reachability")


def test_disabled_confirmation_is_a_warning_not_a_failure(
    sandbox: Sandbox, make_settings: Callable[..., Settings]
) -> None:
    code, report = doctor(make_settings(confirm_mode="none", daily_budget_usd="5"), sandbox.transport())
    assert code == 0
    assert line(report, "confirmation").startswith("[warn]")
    assert "per day $5.00" in line(report, "limits")


def test_an_unwritable_state_dir_fails(
    sandbox: Sandbox, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, report = doctor(make_settings(state_dir=blocker / "state"), sandbox.transport())
    assert code == 1
    assert line(report, "state directory").startswith("[FAIL]")


def test_masking_never_reveals_a_short_key() -> None:
    assert mask_key("sk_abcdefghijklmnop1234") == "sk_...1234 (23 characters)"
    assert mask_key("sk_short") == "sk_... (8 characters)"


def test_sandbox_doctor_from_the_command_line_is_healthy(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOVITA_")}
    env["NOVITA_MCP_STATE_DIR"] = str(tmp_path / "state")
    done = subprocess.run([sys.executable, "-m", "novita_mcp", "--sandbox", "doctor"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sandbox (no money)" in done.stdout
    assert "Result: ready" in done.stdout
