"""manifests/ is generated from the code and checked against it: tools, settings, version, secrets."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from novita_mcp import __version__, manifests
from novita_mcp.server import build_server, select_toolsets
from novita_mcp.settings import Settings

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ROOT / "manifests"
CLIENT_FILES = ["claude-desktop/claude_desktop_config.json", "claude-code/.mcp.json", "cursor/mcp.json",
                "vscode/mcp.json"]
SETTING_ENV = {f.validation_alias.choices[0] for f in Settings.model_fields.values()  # type: ignore[union-attr]
               if f.validation_alias is not None}


def load(rel: str) -> Any:
    return json.loads((MANIFESTS / rel).read_text())


def servers_of(rel: str) -> dict[str, Any]:
    data = load(rel)
    return data["servers"] if rel.startswith("vscode/") else data["mcpServers"]


def test_committed_manifests_are_exactly_what_the_code_generates() -> None:
    stale = [rel for rel, text in manifests.render_all().items()
             if not (MANIFESTS / rel).exists() or (MANIFESTS / rel).read_text() != text]
    assert not stale, f"out of date: {stale}; run `python -m novita_mcp.manifests --write`"


async def test_the_bundle_lists_every_tool_the_server_exposes_with_all_toolsets(tmp_path: Path) -> None:
    server = build_server(Settings(toolsets=["all"], read_only=False, api_key="unused", state_dir=tmp_path))
    async with Client(server) as client:
        served = {t.name for t in (await client.list_tools()).tools}
    listed = [t["name"] for t in load("bundle/manifest.json")["tools"]]
    assert set(listed) == served
    assert len(listed) == len(set(listed))
    assert all(t["description"] for t in load("bundle/manifest.json")["tools"])


def test_every_environment_variable_a_manifest_names_is_a_setting() -> None:
    named: set[str] = set()
    for rel in CLIENT_FILES:
        for entry in servers_of(rel).values():
            named |= set(entry.get("env", {}))
    named |= set(load("bundle/manifest.json")["server"]["mcp_config"]["env"])
    registry = {v["name"] for v in load("server.json")["packages"][0]["environmentVariables"]}
    assert named <= SETTING_ENV
    assert registry == SETTING_ENV - {"NOVITA_MCP_HTTP_TOKEN"}  # every stdio setting, and only those


def test_versions_follow_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bundle_project = tomllib.loads((MANIFESTS / "bundle/pyproject.toml").read_text())["project"]
    server = load("server.json")
    assert project["version"] == __version__
    assert load("bundle/manifest.json")["version"] == __version__
    assert server["version"] == server["packages"][0]["version"] == __version__
    assert bundle_project["dependencies"] == [f"{project['name']}=={__version__}"]


def test_secrets_are_marked_secret_and_no_manifest_holds_a_key() -> None:
    bundle = load("bundle/manifest.json")
    assert bundle["user_config"]["api_key"]["sensitive"] is True
    assert bundle["server"]["mcp_config"]["env"]["NOVITA_API_KEY"] == "${user_config.api_key}"
    registry_env = {v["name"]: v for v in load("server.json")["packages"][0]["environmentVariables"]}
    assert registry_env["NOVITA_API_KEY"]["isSecret"] is True
    assert registry_env["NOVITA_MCP_TOKEN_SECRET"]["isSecret"] is True
    assert not registry_env["NOVITA_BASE_URL"]["isSecret"]
    for path in MANIFESTS.rglob("*"):
        if path.is_file():
            assert not re.search(r"sk_[A-Za-z0-9]{8,}", path.read_text()), path


def test_each_client_config_has_the_shape_its_client_reads() -> None:
    for rel in CLIENT_FILES:
        servers = servers_of(rel)
        assert set(servers) == {"novita", "novita-sandbox"}, rel
        assert servers["novita"]["command"] == "uvx" and servers["novita"]["args"] == ["novita-mcp"], rel
        assert servers["novita-sandbox"]["args"] == ["novita-mcp", "--sandbox"], rel
        assert "env" not in servers["novita-sandbox"], rel
    keys = {rel: servers_of(rel)["novita"]["env"]["NOVITA_API_KEY"] for rel in CLIENT_FILES}
    assert keys["claude-code/.mcp.json"] == "${NOVITA_API_KEY}"
    assert keys["cursor/mcp.json"] == "${env:NOVITA_API_KEY}"
    vscode = load("vscode/mcp.json")
    assert "mcpServers" not in vscode
    (secret_input,) = vscode["inputs"]
    assert secret_input["password"] is True
    assert keys["vscode/mcp.json"] == "${input:%s}" % secret_input["id"]


def test_the_bundle_is_a_uv_bundle_whose_entry_point_exists() -> None:
    bundle = load("bundle/manifest.json")
    assert bundle["manifest_version"] == "0.4"
    assert bundle["server"]["type"] == "uv"
    assert (MANIFESTS / "bundle" / bundle["server"]["entry_point"]).is_file()
    assert bundle["server"]["entry_point"] in bundle["server"]["mcp_config"]["args"]
    assert (MANIFESTS / "bundle/pyproject.toml").is_file()
    toolsets = bundle["user_config"]["toolsets"]["default"].split(",")
    assert select_toolsets(toolsets)  # the default it offers is valid


def test_the_registry_entry_offers_the_pypi_package_over_stdio_and_a_remote_over_http() -> None:
    server = load("server.json")
    assert re.fullmatch(r"io\.github\.[A-Za-z0-9-]+/[A-Za-z0-9._-]+", server["name"])
    assert len(server["description"]) <= 100
    (package,) = server["packages"]
    assert (package["registryType"], package["identifier"], package["transport"]) == (
        "pypi", "novita-mcp", {"type": "stdio"})
    (remote,) = server["remotes"]
    assert remote["type"] == "streamable-http" and remote["url"].endswith("/mcp")
    assert {h["name"]: h["isSecret"] for h in remote["headers"]} == {"Authorization": True}
    assert set(re.findall(r"{(\w+)}", remote["url"])) == set(remote["variables"])


def test_check_mode_reports_stale_files_and_write_mode_fixes_them(tmp_path: Path) -> None:
    assert manifests.main(["--check", "--dir", str(tmp_path)]) == 1
    assert manifests.main(["--write", "--dir", str(tmp_path)]) == 0
    assert manifests.main(["--check", "--dir", str(tmp_path)]) == 0
    assert (tmp_path / "vscode/mcp.json").read_text() == (MANIFESTS / "vscode/mcp.json").read_text()


def test_http_client_configs_point_at_mcp_and_send_the_token_from_the_environment() -> None:
    configs = manifests.http_client_configs("http://127.0.0.1:8765/mcp")
    for rel, config in configs.items():
        (entry,) = (config["servers"] if rel.startswith("vscode/") else config["mcpServers"]).values()
        assert entry["url"] == "http://127.0.0.1:8765/mcp"
        assert entry["headers"]["Authorization"].startswith("Bearer ${")
    assert configs["vscode/mcp.json"]["inputs"][0]["password"] is True
