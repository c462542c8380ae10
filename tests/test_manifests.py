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
from novita_mcp.settings import Settings, setting_specs

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
    http_only = {s.env for s in setting_specs() if s.http_only}
    assert "NOVITA_MCP_HTTP_TOKEN" in http_only and "NOVITA_MCP_PORT" in http_only
    assert registry == SETTING_ENV - http_only  # every stdio setting, and only those


def test_versions_follow_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bundle_project = tomllib.loads((MANIFESTS / "bundle/pyproject.toml").read_text())["project"]
    server = load("server.json")
    assert project["version"] == __version__
    assert load("bundle/manifest.json")["version"] == __version__
    assert server["version"] == server["packages"][0]["version"] == __version__
    assert bundle_project["dependencies"] == [f"{project['name']}=={__version__}"]
    # The bundle installs from its own wheels, never from a registry.
    bundle_uv = tomllib.loads((MANIFESTS / "bundle/pyproject.toml").read_text())["tool"]["uv"]
    assert bundle_uv["no-index"] is True and bundle_uv["find-links"] == ["wheels"]


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
        # The default toolsets; "default" -> "all" is the one-word switch to every tool.
        assert servers["novita-sandbox"]["args"] == ["novita-mcp", "--sandbox", "--toolsets", "default"], rel
        assert "env" not in servers["novita-sandbox"], rel
    keys = {rel: servers_of(rel)["novita"]["env"]["NOVITA_API_KEY"] for rel in CLIENT_FILES}
    assert keys["claude-code/.mcp.json"] == "${NOVITA_API_KEY:-}"  # parses with the variable unset
    assert keys["cursor/mcp.json"] == "${env:NOVITA_API_KEY}"
    vscode = load("vscode/mcp.json")
    assert "mcpServers" not in vscode
    (secret_input,) = vscode["inputs"]
    assert secret_input["password"] is True
    assert keys["vscode/mcp.json"] == f"${{input:{secret_input['id']}}}"


def test_the_bundle_is_a_uv_bundle_whose_entry_point_exists() -> None:
    bundle = load("bundle/manifest.json")
    assert bundle["manifest_version"] == "0.4"
    assert bundle["server"]["type"] == "uv"
    assert (MANIFESTS / "bundle" / bundle["server"]["entry_point"]).is_file()
    assert bundle["server"]["entry_point"] in bundle["server"]["mcp_config"]["args"]
    assert (MANIFESTS / "bundle/pyproject.toml").is_file()
    toolsets = bundle["user_config"]["toolsets"]["default"].split(",")
    assert select_toolsets(toolsets) == select_toolsets(None)  # the default it offers is the server's default
    ignored = (MANIFESTS / "bundle/.mcpbignore").read_text().split()
    assert ".venv/" in ignored and "uv.lock" in ignored  # a local try-out never ships in the bundle


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
    where = ["--dir", str(tmp_path / "m"), "--docs-dir", str(tmp_path / "docs")]
    assert manifests.main(["--check", *where]) == 1
    assert manifests.main(["--write", *where]) == 0
    assert manifests.main(["--check", *where]) == 0
    tmp_path = tmp_path / "m"
    assert (tmp_path / "vscode/mcp.json").read_text() == (MANIFESTS / "vscode/mcp.json").read_text()


def test_http_client_configs_point_at_mcp_and_send_the_token_from_the_environment() -> None:
    configs = manifests.http_client_configs("http://127.0.0.1:8765/mcp")
    for rel, config in configs.items():
        (entry,) = (config["servers"] if rel.startswith("vscode/") else config["mcpServers"]).values()
        assert entry["url"] == "http://127.0.0.1:8765/mcp"
        assert entry["headers"]["Authorization"].startswith("Bearer ${")
        json.dumps(config)  # one pasteable JSON document per client
    assert configs["vscode/mcp.json"]["inputs"][0]["password"] is True


# --- each client's own config format ----------------------------------------------------------
# Written from each client's documentation of its MCP config file: the keys it reads, their
# types, and what it expands. A config that strays from these is one the client would reject
# or misread.

_ENV = {"type": "object", "additionalProperties": {"type": "string"}}
_STDIO = {"type": "object", "required": ["command"], "additionalProperties": False,
          "properties": {"command": {"type": "string", "minLength": 1}, "args": {"type": "array", "items": {"type": "string"}},
                         "env": _ENV}}
_HEADERS = {"type": "object", "additionalProperties": {"type": "string"}}
CLIENT_FORMATS: dict[str, dict[str, Any]] = {
    # Claude Desktop: mcpServers -> {command, args, env}; local (stdio) servers only.
    "claude-desktop": {"type": "object", "required": ["mcpServers"], "additionalProperties": False,
                       "properties": {"mcpServers": {"type": "object", "additionalProperties": _STDIO}}},
    # Claude Code .mcp.json: mcpServers -> stdio {type, command, args, env} or http {type, url, headers}.
    "claude-code": {"type": "object", "required": ["mcpServers"], "additionalProperties": False, "properties": {
        "mcpServers": {"type": "object", "additionalProperties": {"oneOf": [
            {**_STDIO, "properties": {**_STDIO["properties"], "type": {"const": "stdio"}}},
            {"type": "object", "required": ["type", "url"], "additionalProperties": False,
             "properties": {"type": {"const": "http"}, "url": {"type": "string"}, "headers": _HEADERS}},
        ]}}}},
    # Cursor mcp.json: mcpServers -> {command, args, env} or {url, headers}.
    "cursor": {"type": "object", "required": ["mcpServers"], "additionalProperties": False, "properties": {
        "mcpServers": {"type": "object", "additionalProperties": {"oneOf": [
            _STDIO,
            {"type": "object", "required": ["url"], "additionalProperties": False,
             "properties": {"url": {"type": "string"}, "headers": _HEADERS}},
        ]}}}},
    # VS Code .vscode/mcp.json: "servers" (not mcpServers) and "inputs" for secrets.
    "vscode": {"type": "object", "required": ["servers"], "additionalProperties": False, "properties": {
        "inputs": {"type": "array", "items": {
            "type": "object", "required": ["type", "id", "description"],
            "properties": {"type": {"const": "promptString"}, "id": {"type": "string"},
                           "description": {"type": "string"}, "password": {"type": "boolean"}}}},
        "servers": {"type": "object", "additionalProperties": {"oneOf": [
            {**_STDIO, "required": ["type", "command"], "properties": {**_STDIO["properties"], "type": {"const": "stdio"}}},
            {"type": "object", "required": ["type", "url"], "additionalProperties": False,
             "properties": {"type": {"const": "http"}, "url": {"type": "string"}, "headers": _HEADERS}},
        ]}}}},
}


def _variables_used(config: dict[str, Any]) -> set[str]:
    return set(re.findall(r"\$\{([^}]*)\}", json.dumps(config)))


@pytest.mark.parametrize("client", list(CLIENT_FORMATS))
def test_every_generated_config_is_valid_in_its_clients_format(client: str) -> None:
    import jsonschema

    from novita_mcp.manifests import PUBLISHED, client_configs, config_for, this_install, uvx_from

    rel = {"claude-desktop": CLIENT_FILES[0], "claude-code": CLIENT_FILES[1], "cursor": CLIENT_FILES[2],
           "vscode": CLIENT_FILES[3]}[client]
    variants = [load(rel), config_for(client), config_for(client, published=True),
                client_configs(launcher=uvx_from("/path/to/novita_mcp-0.1.0-py3-none-any.whl"))[rel]]
    if client != "claude-desktop":
        variants.append(config_for(client, http_url="http://127.0.0.1:8000/mcp"))
    for config in variants:
        jsonschema.validate(config, CLIENT_FORMATS[client])
        used = _variables_used(config)
        if client == "claude-desktop":
            assert used == set()  # Claude Desktop expands nothing: a placeholder to replace instead
        elif client == "claude-code":
            assert all(v.endswith(":-") for v in used), used  # unset variables must not break the file
        elif client == "cursor":
            assert all(v.startswith("env:") for v in used), used
        else:
            ids = {i["id"] for i in config.get("inputs", [])}
            assert {v.removeprefix("input:") for v in used} <= ids, used
    assert load(rel) == client_configs(launcher=PUBLISHED)[rel]
    assert config_for(client)["mcpServers" if client != "vscode" else "servers"]["novita"]["command"] == \
        this_install().command


def test_the_published_config_says_it_needs_the_package_on_pypi() -> None:
    from novita_mcp.manifests import PUBLISHED

    assert "once" in PUBLISHED.label and "PyPI" in PUBLISHED.label


def test_server_json_is_valid_against_the_registry_schema_it_names() -> None:
    import jsonschema

    schema = json.loads((MANIFESTS / "schema/server.schema.json").read_text())
    server = load("server.json")
    assert server["$schema"] == schema["$id"], "server.json names the schema version that is vendored"
    assert "modelcontextprotocol/registry" in schema["$comment"]  # where the copy came from
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(server)) == []
    # The copy is a working validator, not a rubber stamp.
    for broken in ({**server, "description": "x" * 101}, {**server, "name": "no-slash"},
                   {**server, "packages": [{**server["packages"][0], "version": "latest"}]}):
        assert list(validator.iter_errors(broken))
