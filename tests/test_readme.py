"""The README is a front page that tells the truth; the reference pages it links are generated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from novita_mcp.reference import REGENERATE, render_docs
from novita_mcp.server import TOOLSETS
from novita_mcp.settings import setting_specs

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Written by other work in progress; the README may link them before they land.
LINKED_ELSEWHERE = {"docs/guardrails.md", "docs/security.md"}


def test_the_readme_is_a_front_page_of_at_most_15_kb() -> None:
    assert len(README.encode()) <= 15 * 1024
    headings = [line for line in README.splitlines() if line.startswith("## ")]
    assert headings.index("## Connect a client") <= 1, "connecting a client comes right after the quick start"
    for needed in ("## Quick start", "## Guardrails", "## Security", "## Settings", "## HTTP mode"):
        assert needed in headings


def test_the_two_commands_are_there() -> None:
    assert "novita-mcp --sandbox" in README
    assert ".venv/bin/python -m pytest" in README


def test_it_says_plainly_that_the_package_is_not_on_pypi_and_how_to_install_today() -> None:
    assert "not on PyPI yet" in README
    assert "pip install -e ." in README and "uvx --from" in README and "novita-mcp config" in README


@pytest.mark.parametrize("page", sorted(render_docs()))
def test_the_generated_reference_pages_are_up_to_date(page: str) -> None:
    committed = ROOT / "docs" / page
    assert committed.exists() and committed.read_text(encoding="utf-8") == render_docs()[page], (
        f"docs/{page} is out of date: run `{REGENERATE}`")


def test_every_tool_and_toolset_is_in_the_tool_reference() -> None:
    tools = (ROOT / "docs" / "tools.md").read_text(encoding="utf-8")
    for info in TOOLSETS:
        assert f"## {info.id}" in tools
        for spec in info.tools:
            assert f"### `{spec.name}`" in tools and spec.title in tools, spec.name


def test_every_setting_is_in_the_settings_reference_with_its_flag_or_why_not() -> None:
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for spec in setting_specs():
        (row,) = [line for line in page.splitlines() if line.startswith(f"| `{spec.env}` |")]
        assert all(f"`{flag}`" in row for flag in spec.flags) if spec.flags else "env only" in row
        if spec.env_only:
            assert f"- `{spec.env}`: {spec.env_only}" in page


def test_every_variable_and_flag_the_readme_names_exists() -> None:
    variables = {s.env for s in setting_specs()}
    flags = {f for s in setting_specs() for f in s.flags} | {"--no-" + f[2:] for s in setting_specs() for f in s.flags}
    named_vars = set(re.findall(r"`(NOVITA_[A-Z_]+)", README)) | set(re.findall(r"\b(NOVITA_[A-Z_]+)=", README))
    assert named_vars <= variables, named_vars - variables
    named_flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", README))
    # --version; config and manifests options; uvx and the Inspector's own flags.
    other = {"--version", "--published", "--http", "--from", "--write", "--strict"}
    assert named_flags <= flags | other, named_flags - flags - other


def test_the_tool_counts_in_the_readme_are_the_real_ones() -> None:
    default = sum(len(i.tools) for i in TOOLSETS if i.default)
    total = sum(len(i.tools) for i in TOOLSETS)
    assert f"{', '.join(i.id for i in TOOLSETS if i.default)}: {default} tools" in README
    assert f"exposes all {total}" in README
    assert f"({2 * default} tools)" in README


def test_every_local_link_resolves() -> None:
    for target in re.findall(r"\]\(((?:docs/|manifests/|LICENSE)[^)#]*)", README):
        if target in LINKED_ELSEWHERE:
            continue
        assert (ROOT / target).exists(), target


def test_the_readme_cites_no_file_the_repository_does_not_have() -> None:
    assert "REFERENCE" not in README
    for pattern in re.findall(r"`((?:novita_mcp|tests|manifests|docs|\.ci)/[\w./-]+)`", README):
        assert (ROOT / pattern).exists(), pattern


def test_the_runtime_dependency_list_is_complete() -> None:
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=\[ ]", d)[0] for d in deps}
    line = next(line for line in README.split("\n\n") if line.startswith("Runtime dependencies"))
    assert {n for n in names if f"`{n}`" in line} == names, names


def test_the_sandbox_balance_it_promises_is_the_sandbox_s() -> None:
    from novita_mcp.sandbox import Sandbox

    balance = Sandbox().state.balance_units / 10000
    assert f"${balance:.0f} balance" in README
