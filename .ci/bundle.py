"""Build the MCP Bundle that installs offline: python .ci/bundle.py OUT.mcpb [--mcpb PATH] [--wheel WHEEL]

The bundle is manifests/bundle/ plus wheels/: the novita-mcp wheel and every dependency's
wheel for this OS and CPU, for Python 3.11-3.13. Its pyproject.toml tells uv to install
from wheels/ only (no-index), so Claude Desktop starts it without reaching any registry.
The manifest's compatibility is narrowed to the platform the wheels were fetched for.
Building needs the network once (pip download from PyPI) and `mcpb` (npm) to pack.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHONS = ("3.11", "3.12", "3.13")


def run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def build(out: Path, mcpb: str, wheel: Path | None) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / "bundle"
        ignore = shutil.ignore_patterns(*(ROOT / "manifests/bundle/.mcpbignore").read_text().split())
        shutil.copytree(ROOT / "manifests/bundle", stage, ignore=ignore)
        wheels = stage / "wheels"
        wheels.mkdir()
        if wheel is None:
            run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(ROOT))
        else:
            shutil.copy(wheel, wheels)
        (own,) = wheels.glob("novita_mcp-*.whl")
        for version in PYTHONS:
            run(sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--python-version", version,
                "--dest", str(wheels), str(own))
        # uv resolves for every platform at once unless told which ones exist; these wheels serve one.
        python_range = f">={PYTHONS[0]},<3.{int(PYTHONS[-1].split('.')[1]) + 1}"
        pyproject = (stage / "pyproject.toml").read_text()
        pyproject = pyproject.replace('requires-python = ">=3.11"', f'requires-python = "{python_range}"')
        marker = f"sys_platform == '{sys.platform}' and platform_machine == '{platform.machine()}'"
        (stage / "pyproject.toml").write_text(pyproject + f'environments = ["{marker}"]\n')
        manifest = json.loads((stage / "manifest.json").read_text())
        manifest["compatibility"]["platforms"] = [sys.platform]
        manifest["compatibility"]["runtimes"]["python"] = python_range
        (stage / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        out.parent.mkdir(parents=True, exist_ok=True)
        run(mcpb, "pack", str(stage), str(out))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the .mcpb file to write")
    parser.add_argument("--mcpb", default=shutil.which("mcpb") or str(ROOT / ".tools/npm/node_modules/.bin/mcpb"),
                        help="the mcpb command (default: on PATH, else .tools/ from .ci/clients.sh)")
    parser.add_argument("--wheel", type=Path, help="use this novita-mcp wheel instead of building one")
    args = parser.parse_args()
    out = build(args.out.resolve(), args.mcpb, args.wheel)
    print(f"{out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
