"""One settings class: every field an env var, validated, read once."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
from pydantic import ValidationError

from novita_mcp.settings import Settings


def test_env_vars_use_the_documented_names(monkeypatch) -> None:
    monkeypatch.setenv("NOVITA_API_KEY", "sk_env")
    monkeypatch.setenv("NOVITA_MCP_TOOLSETS", "gpu, media")
    monkeypatch.setenv("NOVITA_MCP_READ_ONLY", "true")
    monkeypatch.setenv("NOVITA_MCP_AUTO_APPROVE_USD", "0.5")
    s = Settings()
    assert s.api_key is not None and s.api_key.get_secret_value() == "sk_env"
    assert s.toolsets == ["gpu", "media"] and s.read_only and s.auto_approve_usd == Decimal("0.5")


def test_a_bare_env_var_without_the_prefix_is_ignored(monkeypatch) -> None:
    monkeypatch.setenv("READ_ONLY", "true")
    monkeypatch.setenv("API_KEY", "sk_wrong_place")
    s = Settings()
    assert not s.read_only and s.api_key is None


def test_defaults_are_safe() -> None:
    s = Settings()
    assert s.base_url == "https://api.novita.ai"
    assert s.confirm_mode == "auto" and s.auto_approve_usd == Decimal("0.10")
    assert s.token_ttl_seconds == 600 and not s.read_only


@pytest.mark.parametrize(
    ("field", "value"),
    [("confirm_mode", "maybe"), ("max_gpus", -1), ("base_url", "api.novita.ai"), ("read_timeout", 0)],
)
def test_invalid_values_are_rejected(field, value) -> None:
    with pytest.raises(ValidationError):
        Settings(**{field: value})


def test_the_key_is_masked_in_the_repr() -> None:
    s = Settings(api_key="sk_very_secret_value")
    assert "sk_very_secret_value" not in repr(s) and "sk_very_secret_value" not in str(s.model_dump())


def test_importing_the_package_reads_no_environment() -> None:
    code = (
        "import os, novita_mcp.settings, novita_mcp.server, novita_mcp.cli\n"
        "class Spy(dict):\n"
        "    pass\n"
        "print('ok')\n"
    )
    # Import with an environment that would make a module-level read fail loudly if it validated.
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"NOVITA_MCP_MAX_GPUS": "not-a-number", "PATH": "/usr/bin:/bin"}, timeout=60)
    assert result.returncode == 0, result.stderr
