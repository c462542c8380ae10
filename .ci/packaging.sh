#!/usr/bin/env bash
# The package as a user gets it, checked outside the checkout:
#   build the wheel and the sdist; install the wheel in a fresh venv in a scratch folder and run
#   --version, --sandbox doctor, a stdio tools/list; print `config` for every client and validate
#   each against its client's format; validate server.json against the registry schema; run the
#   sdist's own tests; build the offline MCP Bundle, unpack it and start it as Claude Desktop
#   does, with no registry reachable.
# Expects .ci/clients.sh to have run first (Node 22 and mcpb in .tools/) and the checkout's
# .venv (the test environment). Installs `build` and `uv` from PyPI into a scratch venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
export PATH="$ROOT/.tools/node/node_modules/.bin:$PATH"
MCPB="$ROOT/.tools/npm/node_modules/.bin/mcpb"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
START=$SECONDS
STEP_START=$SECONDS
step() { echo; echo "== $* (t+$((SECONDS - START))s)"; STEP_START=$SECONDS; }
done_step() { echo "   ok in $((SECONDS - STEP_START))s"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
quiet() { "$@" >"$SCRATCH/cmd.log" 2>&1 || { cat "$SCRATCH/cmd.log"; fail "$*"; }; }

step "build the wheel and the sdist"
quiet python3 -m venv "$SCRATCH/tools"
quiet "$SCRATCH/tools/bin/pip" install build uv
quiet "$SCRATCH/tools/bin/python" -m build --outdir "$SCRATCH/dist" "$ROOT"
WHEEL="$(ls "$SCRATCH"/dist/novita_mcp-*.whl)"
SDIST="$(ls "$SCRATCH"/dist/novita_mcp-*.tar.gz)"
echo "   $(basename "$WHEEL") $(du -k "$WHEEL" | cut -f1) KB, $(basename "$SDIST") $(du -k "$SDIST" | cut -f1) KB"
tar -tzf "$SDIST" >"$SCRATCH/sdist.txt"  # a listing file: grep -q on a pipe would cut tar off (pipefail)
unzip -l "$WHEEL" >"$SCRATCH/wheel.txt"
for needed in LICENSE tests/__init__.py tests/conftest.py tests/guarded_flow.py tests/tool_schemas.json \
              tests/served.py manifests/server.json manifests/schema/server.schema.json docs/tools.md README.md; do
  grep -q "^novita_mcp-[^/]*/$needed\$" "$SCRATCH/sdist.txt" || fail "the sdist lacks $needed"
done
unzip -p "$WHEEL" '*.dist-info/METADATA' >"$SCRATCH/METADATA"
grep -q '^License-Expression: MIT' "$SCRATCH/METADATA" || fail "wheel metadata: no SPDX license"
grep -q 'licenses/LICENSE' "$SCRATCH/wheel.txt" || fail "the wheel lacks LICENSE"
done_step

step "install the wheel in a fresh venv outside the checkout"
APP="$SCRATCH/app"
mkdir -p "$APP/home"
quiet python3 -m venv "$APP/venv"
quiet "$APP/venv/bin/pip" install "$WHEEL"
EXE="$APP/venv/bin/novita-mcp"
cd "$APP"
run_app() { env -i PATH="/usr/bin:/bin" HOME="$APP/home" NOVITA_MCP_STATE_DIR="$APP/state" "$@"; }
VERSION="$(run_app "$EXE" --version)"
[ "$VERSION" = "novita-mcp $("$PY" -c 'import novita_mcp; print(novita_mcp.__version__)')" ] || fail "--version: $VERSION"
echo "   $VERSION"
run_app "$EXE" --sandbox doctor >"$SCRATCH/doctor.txt" || { cat "$SCRATCH/doctor.txt"; fail "--sandbox doctor"; }
grep -q "Result: ready" "$SCRATCH/doctor.txt" || fail "doctor is not ready"
grep -q "\"command\": \"$EXE\"" "$SCRATCH/doctor.txt" || fail "doctor does not print this install's command"
echo "   --sandbox doctor: ready, configs name $EXE"
"$APP/venv/bin/python" - "$EXE" "$APP" <<'EOF'
import sys, anyio
from mcp import Client, StdioServerParameters

async def main() -> None:
    exe, app = sys.argv[1], sys.argv[2]
    params = StdioServerParameters(command=exe, args=["--sandbox"],
                                   env={"HOME": f"{app}/home", "NOVITA_MCP_STATE_DIR": f"{app}/state"})
    with anyio.fail_after(60):
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
    assert len(tools) >= 30, len(tools)
    print(f"   stdio tools/list: {len(tools)} tools")

anyio.run(main)
EOF
cd "$ROOT"
done_step

step "client configs from the installed command, each against its client's format; server.json"
for client in claude-desktop claude-code cursor vscode; do
  run_app "$EXE" config "$client" 2>/dev/null >"$SCRATCH/config-$client.json"
  run_app "$EXE" config "$client" --published 2>/dev/null >"$SCRATCH/published-$client.json"
done
for client in claude-code cursor vscode; do
  run_app "$EXE" config "$client" --http http://127.0.0.1:8000/mcp 2>/dev/null >"$SCRATCH/http-$client.json"
done
"$PY" - "$SCRATCH" "$EXE" <<'EOF'
import json, sys
from pathlib import Path
import jsonschema
sys.path.insert(0, ".")
from tests.test_manifests import CLIENT_FORMATS

scratch, exe = Path(sys.argv[1]), sys.argv[2]
checked = 0
for path in sorted(scratch.glob("*-*.json")):
    kind, client = path.stem.split("-", 1)
    config = json.loads(path.read_text())
    jsonschema.validate(config, CLIENT_FORMATS[client])
    servers = config.get("servers") or config["mcpServers"]
    if kind == "config":
        assert servers["novita"]["command"] == exe, (client, servers["novita"]["command"])
    if kind == "published":
        assert servers["novita"]["command"] == "uvx", client
    checked += 1
schema = json.loads(Path("manifests/schema/server.schema.json").read_text())
validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
errors = list(validator.iter_errors(json.loads(Path("manifests/server.json").read_text())))
assert not errors, errors
print(f"   {checked} client configs valid; server.json valid against {schema['$id']}")
EOF
done_step

step "the sdist's own tests"
mkdir -p "$SCRATCH/sdist"
tar -xzf "$SDIST" -C "$SCRATCH/sdist"
SRC="$(ls -d "$SCRATCH"/sdist/novita_mcp-*)"
quiet python3 -m venv "$SCRATCH/sdist-venv"
quiet "$SCRATCH/sdist-venv/bin/pip" install "$SRC[test]"
(cd "$SRC" && env -u NOVITA_API_KEY HOME="$SCRATCH/sdist-home" "$SCRATCH/sdist-venv/bin/python" -m pytest -q -p no:randomly \
   >"$SCRATCH/sdist-tests.log" 2>&1) || { tail -40 "$SCRATCH/sdist-tests.log"; fail "the sdist's tests"; }
echo "   $(tail -n 1 "$SCRATCH/sdist-tests.log")"
done_step

step "the MCP Bundle: pack with bundled wheels, unpack, start as Claude Desktop does, offline"
"$PY" .ci/bundle.py "$SCRATCH/novita-mcp.mcpb" --mcpb "$MCPB" --wheel "$WHEEL" 2>&1 | grep -v "^WARNING: Location" | sed 's/^/   /'
mkdir -p "$SCRATCH/unpacked"
(cd "$SCRATCH/unpacked" && unzip -q "$SCRATCH/novita-mcp.mcpb")
unzip -l "$SCRATCH/novita-mcp.mcpb" >"$SCRATCH/bundle.txt"
if grep -q '\.venv/' "$SCRATCH/bundle.txt"; then fail "the bundle ships a .venv"; fi
PATH="$SCRATCH/tools/bin:$PATH" "$PY" .ci/start_bundle.py "$SCRATCH/unpacked"
# `mcpb pack manifests/bundle` after trying the folder with `uv run` must not ship what that left.
cp -r manifests/bundle "$SCRATCH/tried" && mkdir -p "$SCRATCH/tried/.venv/lib" && touch "$SCRATCH/tried/.venv/lib/x.py" "$SCRATCH/tried/uv.lock"
quiet "$MCPB" pack "$SCRATCH/tried" "$SCRATCH/tried.mcpb"
unzip -l "$SCRATCH/tried.mcpb" >"$SCRATCH/tried.txt"
if grep -qE '\.venv/|uv\.lock' "$SCRATCH/tried.txt"; then fail ".mcpbignore did not keep .venv/uv.lock out"; fi
echo "   .mcpbignore keeps a local .venv and uv.lock out of a pack"
done_step

echo
echo "packaging.sh: all packaging checks passed in $((SECONDS - START))s"
