"""`novita-mcp sandbox`: the simulator alone over HTTP, for any Novita client."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served_sandbox(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "novita_mcp", "sandbox", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
    )
    try:
        key = None
        deadline = time.monotonic() + 30
        lines = []
        while key is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            lines.append(line)
            match = re.search(r"API key:\s+(sk_sandbox_\w+)", line)
            key = match.group(1) if match else None
        assert key, "".join(lines)
        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                httpx.get(base + "/v3/user", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)  # waiting for a child process to bind its port, not for simulated time
        yield base, key, "".join(lines)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_standalone_sandbox_prints_its_url_and_key_and_enforces_it(served_sandbox) -> None:
    base, key, banner = served_sandbox
    assert base in banner
    ok = httpx.get(base + "/openapi/v1/billing/balance/detail", headers={"Authorization": f"Bearer {key}"})
    assert ok.status_code == 200 and ok.json()["availableBalance"] == "500000"
    missing = httpx.get(base + "/v3/user")
    assert (missing.status_code, missing.json()["reason"]) == (400, "MISSING_API_KEY")
    wrong = httpx.get(base + "/v3/user", headers={"Authorization": "Bearer sk_wrong"})
    assert (wrong.status_code, wrong.json()["reason"]) == (403, "INVALID_API_KEY")


def test_a_dropped_connection_over_real_http_is_a_protocol_error(served_sandbox) -> None:
    base, key, _ = served_sandbox
    headers = {"Authorization": f"Bearer {key}"}
    httpx.post(base + "/_sandbox/faults", json={"kind": "drop", "path": "/v3/user"}, headers=headers)
    with pytest.raises(httpx.TransportError):
        httpx.get(base + "/v3/user", headers=headers)
    assert httpx.get(base + "/v3/user", headers=headers).status_code == 200


def test_the_sandbox_command_refuses_a_bad_port_with_one_line(tmp_path) -> None:
    result = subprocess.run([sys.executable, "-m", "novita_mcp", "sandbox", "--port", "70000"], capture_output=True,
                            text=True, timeout=60, env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)})
    assert result.returncode == 2 and result.stderr.strip().count("\n") == 0 and "--port" in result.stderr
