"""Start an unpacked MCP Bundle the way Claude Desktop does, with no registry reachable.

    python .ci/start_bundle.py UNPACKED_DIR [--user-config sandbox=true ...]

Reads the bundle's manifest.json, substitutes ``${__dirname}`` and ``${user_config.KEY}`` in
``server.mcp_config`` (command, args, env) as the host does, starts that command over stdio,
and speaks MCP to it: initialize, tools/list, one call. Every package index uv or pip could use
points at a closed local port, the uv cache is empty and Python downloads are off, so the start
succeeds only if everything it installs comes from inside the bundle. Needs ``uv`` on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

NO_REGISTRY = "http://127.0.0.1:9/simple"  # the discard port: nothing answers there


def substitute(value: Any, dirname: Path, user: dict[str, str]) -> Any:
    if isinstance(value, str):
        value = value.replace("${__dirname}", str(dirname))
        return re.sub(r"\$\{user_config\.(\w+)\}", lambda m: user.get(m.group(1), ""), value)
    if isinstance(value, list):
        return [substitute(v, dirname, user) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, dirname, user) for k, v in value.items()}
    return value


def user_config(manifest: dict[str, Any], given: list[str]) -> dict[str, str]:
    """Each field's default as the host's form would submit it, then the given values."""
    values = {}
    for key, field in manifest.get("user_config", {}).items():
        default = field.get("default")
        if default is not None:
            values[key] = json.dumps(default) if isinstance(default, bool) else str(default)
    values.update(item.split("=", 1) for item in given)
    return values


async def start(bundle: Path, given: list[str], timeout: float) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    config = substitute(manifest["server"]["mcp_config"], bundle, user_config(manifest, given))
    uv = shutil.which("uv")
    if config["command"] == "uv" and uv is None:
        raise SystemExit("uv is not on PATH (Claude Desktop brings its own; here: pip install uv)")
    scratch = Path(tempfile.mkdtemp(prefix="bundle-start-"))
    env = {
        "PATH": os.environ["PATH"], "HOME": str(scratch / "home"),
        "UV_CACHE_DIR": str(scratch / "uv-cache"), "UV_PYTHON_DOWNLOADS": "never",
        "UV_INDEX_URL": NO_REGISTRY, "UV_DEFAULT_INDEX": NO_REGISTRY, "PIP_INDEX_URL": NO_REGISTRY,
        "NOVITA_MCP_STATE_DIR": str(scratch / "state"),
        **{k: v for k, v in config.get("env", {}).items() if v != ""},  # the host leaves unset fields out
    }
    params = StdioServerParameters(command=config["command"], args=config["args"], env=env, cwd=str(scratch))
    started = time.perf_counter()
    try:
        with anyio.fail_after(timeout):
            async with Client(params) as client:
                tools = (await client.list_tools()).tools
                balance = await client.call_tool("get_balance", {})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert tools, "the bundled server listed no tools"
    assert not balance.is_error, balance
    print(f"   bundle started offline in {time.perf_counter() - started:.1f} s: {len(tools)} tools; "
          f"get_balance -> {balance.content[0].text}")  # type: ignore[union-attr]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="the unpacked bundle folder")
    parser.add_argument("--user-config", action="append", default=["sandbox=true"], metavar="KEY=VALUE")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    anyio.run(start, args.bundle.resolve(), args.user_config, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
