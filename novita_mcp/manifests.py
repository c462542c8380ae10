"""Client configs and package manifests, generated from the code so they never drift.

    python -m novita_mcp.manifests --write     regenerate manifests/ and the generated docs/
    python -m novita_mcp.manifests --check     exit 1 when a committed file is out of date

Tool names come from ``build_server`` with every toolset on, environment variables from
``Settings.model_fields``, the version from ``novita_mcp.__version__``. The committed client
configs use the published form (``uvx novita-mcp``); ``doctor`` and ``novita-mcp config``
print the same configs with the command of the running install, which works today.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import SecretStr

from novita_mcp import __version__
from novita_mcp.settings import Settings, setting_specs

__all__ = [
    "PACKAGE",
    "REGISTRY_NAME",
    "Launcher",
    "PUBLISHED",
    "this_install",
    "source_checkout",
    "uvx_from",
    "client_configs",
    "http_client_configs",
    "config_for",
    "client_file",
    "where_it_goes",
    "render_all",
    "tool_summaries",
    "env_vars",
    "main",
]

PACKAGE = "novita-mcp"  # the PyPI distribution and the console command
SERVER_KEY = "novita"
# The public repository is not fixed yet; the registry name and URL follow it. Change both here only.
REGISTRY_NAME = "io.github.novita-mcp/novita-mcp"
REPOSITORY_URL = "https://github.com/novita-mcp/novita-mcp"
SHORT_DESCRIPTION = "Novita AI for agents: LLMs, media, GPU instances and billing, with server-enforced spend guards."
KEY_ENV = "NOVITA_API_KEY"
KEY_PLACEHOLDER = "<your Novita API key>"
MANIFEST_DIR = Path(__file__).resolve().parent.parent / "manifests"
DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"
# The sandbox entry beside the real one: the default toolsets, so the two together stay
# within what clients can show; change the one word "default" to "all" to see every tool.
SANDBOX_ARGS = ["--sandbox", "--toolsets", "default"]

_BUNDLE_ENTRY = '''\
"""Entry point of the novita-mcp MCP Bundle: uv installs the bundled wheels, this starts the server on stdio."""

from novita_mcp.cli import main

raise SystemExit(main())
'''


# --- facts taken from the code -------------------------------------------------------------

def tool_summaries() -> list[dict[str, str]]:
    """Every tool of every toolset: name and the first sentence of its description."""
    import anyio

    from novita_mcp.server import build_server

    settings = Settings(toolsets=["all"], read_only=False, api_key=SecretStr("unused"), sandbox=False)
    server = build_server(settings)
    tools = anyio.run(server.list_tools)
    out = []
    for t in sorted(tools, key=lambda t: t.name):
        text = " ".join((t.description or "").split())
        first = text.split(". ")[0].rstrip(".")
        out.append({"name": t.name, "description": (first[:197] + "...") if len(first) > 200 else first + "."})
    return out


def _env_name(field: Any) -> str | None:
    alias = field.validation_alias
    return alias.choices[0] if alias is not None else None


def env_vars() -> list[dict[str, Any]]:
    """Every setting of the stdio server as an environment variable: name, description, secret, format, default."""
    http_only = {spec.env for spec in setting_specs() if spec.http_only}  # meaningless for the stdio package
    out = []
    for field in Settings.model_fields.values():
        name = _env_name(field)
        if name is None or name in http_only:
            continue
        annotation = str(field.annotation)
        fmt = ("boolean" if field.annotation is bool else "filepath" if "Path" in annotation
               else "number" if any(t in annotation for t in ("int", "float", "Decimal")) else "string")
        entry: dict[str, Any] = {"name": name, "description": field.description or "", "format": fmt,
                                 "isRequired": name == KEY_ENV, "isSecret": "SecretStr" in annotation}
        if get_origin(field.annotation) is Literal:
            entry["choices"] = [str(c) for c in get_args(field.annotation)]
        default = field.default
        if default is not None and default != [] and not callable(field.default_factory):
            entry["default"] = str(default).lower() if isinstance(default, bool) else str(default)
        out.append(entry)
    return out


def default_toolsets() -> list[str]:
    from novita_mcp.server import TOOLSETS

    return [t.id for t in TOOLSETS if t.default]


# --- how a client starts the server -----------------------------------------------------------

@dataclass(frozen=True)
class Launcher:
    """The command a client runs to start novita-mcp, and what it is."""

    command: str
    args: tuple[str, ...]
    label: str


PUBLISHED = Launcher("uvx", (PACKAGE,), "once novita-mcp is published on PyPI: uvx fetches it")


def this_install() -> Launcher:
    """The running install's own console script, by absolute path (clients start GUI apps
    without the shell's PATH), or its Python with ``-m novita_mcp`` when there is no script."""
    name = "novita-mcp.exe" if os.name == "nt" else "novita-mcp"
    for folder in (Path(sysconfig.get_path("scripts")), Path(sys.executable).parent):
        script = folder / name
        if script.is_file():
            return Launcher(str(script.absolute()), (), f"this install: {script.absolute()}")
    return Launcher(str(Path(sys.executable).absolute()), ("-m", "novita_mcp"), f"this install: {sys.executable}")


def source_checkout() -> Path | None:
    """The source checkout this package runs from (an editable install), if any."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "novita_mcp" / "cli.py").is_file() else None


def uvx_from(source: Path | str) -> Launcher:
    """``uvx --from <checkout or wheel> novita-mcp``: works before publishing, wherever uv is."""
    return Launcher("uvx", ("--from", str(source), PACKAGE), f"uvx from {source}")


def _stdio(launcher: Launcher, args: list[str], env: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {**extra, "command": launcher.command, "args": [*launcher.args, *args]}
    if env:
        entry["env"] = env
    return entry


def client_configs(key_ref: str | None = None, launcher: Launcher = PUBLISHED) -> dict[str, dict[str, Any]]:
    """Ready-to-paste config per client, keyed by the file name each client reads.

    ``launcher`` is how the server is started (the published ``uvx novita-mcp`` by default);
    ``key_ref`` overrides how the key is referenced; by default each client uses its own way
    to keep the key out of the file where it has one.
    """
    desktop_key = key_ref or KEY_PLACEHOLDER
    return {
        "claude-desktop/claude_desktop_config.json": {"mcpServers": {
            SERVER_KEY: _stdio(launcher, [], {KEY_ENV: desktop_key}),
            f"{SERVER_KEY}-sandbox": _stdio(launcher, SANDBOX_ARGS),
        }},
        # Claude Code expands ${VAR:-default}; without the default it refuses the whole file
        # when the variable is unset, the sandbox entry included.
        "claude-code/.mcp.json": {"mcpServers": {
            SERVER_KEY: _stdio(launcher, [], {KEY_ENV: key_ref or f"${{{KEY_ENV}:-}}"}, type="stdio"),
            f"{SERVER_KEY}-sandbox": _stdio(launcher, SANDBOX_ARGS, type="stdio"),
        }},
        # Cursor expands ${env:VAR}.
        "cursor/mcp.json": {"mcpServers": {
            SERVER_KEY: _stdio(launcher, [], {KEY_ENV: key_ref or f"${{env:{KEY_ENV}}}"}),
            f"{SERVER_KEY}-sandbox": _stdio(launcher, SANDBOX_ARGS),
        }},
        # VS Code: top-level "servers", and the key asked once through a password input.
        "vscode/mcp.json": {
            "inputs": [{"type": "promptString", "id": "novita-api-key", "description": "Novita API key",
                        "password": True}],
            "servers": {
                SERVER_KEY: _stdio(launcher, [], {KEY_ENV: key_ref or "${input:novita-api-key}"}, type="stdio"),
                f"{SERVER_KEY}-sandbox": _stdio(launcher, SANDBOX_ARGS, type="stdio"),
            },
        },
    }


_CLIENT_FILES = {
    "claude-desktop": "claude-desktop/claude_desktop_config.json",
    "claude-code": "claude-code/.mcp.json",
    "cursor": "cursor/mcp.json",
    "vscode": "vscode/mcp.json",
}
_WHERE = {
    "claude-desktop": ("Claude Desktop", "Settings > Developer > Edit Config: claude_desktop_config.json "
                       "(macOS ~/Library/Application Support/Claude/, Windows %APPDATA%\\Claude\\); "
                       f"replace {KEY_PLACEHOLDER}, then restart Claude Desktop"),
    "claude-code": ("Claude Code", ".mcp.json in the project root (the key comes from NOVITA_API_KEY in your shell)"),
    "cursor": ("Cursor", "~/.cursor/mcp.json or .cursor/mcp.json (the key comes from NOVITA_API_KEY in your shell)"),
    "vscode": ("VS Code", ".vscode/mcp.json (VS Code asks for the key once and keeps it as a secret)"),
}


def client_file(client: str) -> str:
    return _WHERE[client][1]


def where_it_goes(client: str) -> str:
    return _WHERE[client][0]


def config_for(client: str, *, published: bool = False, http_url: str | None = None) -> dict[str, Any]:
    """One client's config: for this install (default), the published package, or an HTTP server."""
    rel = _CLIENT_FILES[client]
    if http_url is not None:
        if client == "claude-desktop":
            raise ValueError("Claude Desktop's config file starts local (stdio) servers only; "
                             "use its stdio config or the MCP Bundle")
        return http_client_configs(http_url)[rel]
    return client_configs(launcher=PUBLISHED if published else this_install())[rel]


def http_client_configs(url: str = "http://127.0.0.1:8000/mcp") -> dict[str, dict[str, Any]]:
    """Configs for a server already running with ``--transport http`` (token sent as a header)."""
    header = {"Authorization": "Bearer ${NOVITA_MCP_HTTP_TOKEN:-}"}  # parses with the variable unset
    return {
        "claude-code/.mcp.json": {"mcpServers": {SERVER_KEY: {"type": "http", "url": url, "headers": header}}},
        "cursor/mcp.json": {"mcpServers": {SERVER_KEY: {"url": url,
                                                       "headers": {"Authorization": "Bearer ${env:NOVITA_MCP_HTTP_TOKEN}"}}}},
        "vscode/mcp.json": {
            "inputs": [{"type": "promptString", "id": "novita-mcp-token", "description": "novita-mcp HTTP token",
                        "password": True}],
            "servers": {SERVER_KEY: {"type": "http", "url": url,
                                     "headers": {"Authorization": "Bearer ${input:novita-mcp-token}"}}},
        },
    }


# --- the MCP Bundle and the registry entry ---------------------------------------------------

def bundle_manifest() -> dict[str, Any]:
    toolsets = ",".join(default_toolsets())
    return {
        "manifest_version": "0.4",
        "name": PACKAGE,
        "display_name": "Novita AI",
        "version": __version__,
        "description": SHORT_DESCRIPTION,
        "long_description": (
            "Chat with Novita's LLMs, generate images, video and audio, run GPU instances and endpoints, "
            "and read balance and bills. Anything that spends money or destroys something is priced by the "
            "server and needs your approval; budgets and read-only mode are enforced by the server itself. "
            "Turn on the sandbox to try every tool without a key and without spending money."),
        "author": {"name": "novita-mcp contributors", "url": REPOSITORY_URL},
        "repository": {"type": "git", "url": REPOSITORY_URL},
        "homepage": REPOSITORY_URL,
        "license": "MIT",
        "keywords": ["novita", "llm", "gpu", "image generation", "billing"],
        "server": {
            "type": "uv",
            "entry_point": "server/main.py",
            "mcp_config": {
                "command": "uv",
                "args": ["run", "--directory", "${__dirname}", "server/main.py"],
                "env": {
                    KEY_ENV: "${user_config.api_key}",
                    "NOVITA_MCP_SANDBOX": "${user_config.sandbox}",
                    "NOVITA_MCP_READ_ONLY": "${user_config.read_only}",
                    "NOVITA_MCP_TOOLSETS": "${user_config.toolsets}",
                },
            },
        },
        "tools": tool_summaries(),
        "tools_generated": True,  # the list shrinks with read-only mode and the chosen toolsets
        "user_config": {
            "api_key": {"type": "string", "title": "Novita API key", "sensitive": True, "required": False,
                        "description": "From https://novita.ai/settings/key-management. Stored by the host as a "
                                       "secret. Leave empty only when the sandbox is on."},
            "sandbox": {"type": "boolean", "title": "Sandbox (no money)", "default": False, "required": False,
                        "description": "Use the built-in simulator instead of your account: no key, no charges."},
            "read_only": {"type": "boolean", "title": "Read-only", "default": False, "required": False,
                          "description": "Expose only tools that read; nothing can spend or destroy."},
            "toolsets": {"type": "string", "title": "Toolsets", "default": "default", "required": False,
                         "description": f"'default' ({toolsets}), 'all', or comma-separated toolset ids."},
        },
        "compatibility": {"platforms": ["darwin", "win32", "linux"], "runtimes": {"python": ">=3.11"}},
    }


def bundle_pyproject() -> str:
    return (
        "# The MCP Bundle's own project: uv installs the server and its dependencies from the wheels\n"
        "# packed into the bundle (wheels/, filled by .ci/bundle.py), never from a registry.\n"
        "# Generated by `python -m novita_mcp.manifests --write`; do not edit.\n"
        "[project]\n"
        f'name = "{PACKAGE}-bundle"\n'
        f'version = "{__version__}"\n'
        'requires-python = ">=3.11"\n'
        f'dependencies = ["{PACKAGE}=={__version__}"]\n'
        "\n[tool.uv]\npackage = false\nno-index = true\nfind-links = [\"wheels\"]\n"
    )


# What `mcpb pack manifests/bundle` must leave out: a local environment or lock made by trying
# the bundle folder with `uv run` (tens of MB, and built for one machine).
BUNDLE_IGNORE = ".venv/\nuv.lock\n__pycache__/\n*.pyc\n"


def registry_server() -> dict[str, Any]:
    return {
        "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
        "name": REGISTRY_NAME,
        "title": "Novita AI",
        "description": SHORT_DESCRIPTION,  # the registry allows 100 characters
        "version": __version__,
        "repository": {"url": REPOSITORY_URL, "source": "github"},
        "websiteUrl": REPOSITORY_URL,
        "packages": [{
            "registryType": "pypi",
            "registryBaseUrl": "https://pypi.org",
            "identifier": PACKAGE,
            "version": __version__,
            "runtimeHint": "uvx",
            "transport": {"type": "stdio"},
            "environmentVariables": env_vars(),
        }],
        "remotes": [{
            "type": "streamable-http",
            "url": "https://{host}/mcp",
            "headers": [{"name": "Authorization", "isRequired": True, "isSecret": True,
                         "description": "'Bearer <token>': the NOVITA_MCP_HTTP_TOKEN of that deployment."}],
            "variables": {"host": {"isRequired": True,
                                   "description": "Host of your own deployment of novita-mcp --transport http."}},
        }],
    }


def render_all() -> dict[str, str]:
    """Every generated file under manifests/, by relative path, as text."""
    def dump(data: Any) -> str:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    files = {path: dump(data) for path, data in client_configs().items()}
    files["bundle/manifest.json"] = dump(bundle_manifest())
    files["bundle/pyproject.toml"] = bundle_pyproject()
    files["bundle/server/main.py"] = _BUNDLE_ENTRY
    files["bundle/.mcpbignore"] = BUNDLE_IGNORE
    files["server.json"] = dump(registry_server())
    return files


def main(argv: list[str] | None = None) -> int:
    from novita_mcp.reference import render_docs

    parser = argparse.ArgumentParser(prog="python -m novita_mcp.manifests", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="regenerate the files under manifests/ and docs/")
    mode.add_argument("--check", action="store_true", help="exit 1 when a file is out of date")
    parser.add_argument("--dir", type=Path, default=MANIFEST_DIR, help="target directory (default: manifests/)")
    parser.add_argument("--docs-dir", type=Path, default=DOCS_DIR, help="generated docs (default: docs/)")
    args = parser.parse_args(argv)
    stale = []
    for folder, files in ((args.dir, render_all()), (args.docs_dir, render_docs())):
        for rel, text in files.items():
            path = folder / rel
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current == text:
                continue
            stale.append(path)
            if args.write:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    verb = "wrote" if args.write else "out of date"
    for path in stale:
        print(f"{verb}: {path}", file=sys.stderr)
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
