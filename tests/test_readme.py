"""The README tells the truth about settings, toolsets and the two commands."""

from __future__ import annotations

from pathlib import Path

from novita_mcp.server import TOOLSETS
from novita_mcp.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_documented_by_its_variable() -> None:
    for field in Settings.model_fields.values():
        name = field.validation_alias.choices[0]  # type: ignore[union-attr]
        assert f"`{name}`" in README, name


def test_every_toolset_has_a_section() -> None:
    for info in TOOLSETS:
        assert f"### {info.id}" in README, info.id


def test_the_two_commands_are_there() -> None:
    assert "novita-mcp --sandbox" in README
    assert ".venv/bin/python -m pytest" in README


def test_every_tool_is_named() -> None:
    from novita_mcp.server import load_toolset

    for info in TOOLSETS:
        for spec in load_toolset(info).tools:
            assert f"`{spec.name}`" in README, spec.name
