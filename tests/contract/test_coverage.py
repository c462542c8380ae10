"""docs/coverage.md gives every endpoint of Novita's documented index a home, and stays true.

The index is committed beside this test (``api_index.txt``, copied from the overview page);
when the page itself is on this machine it is re-read, so the copy cannot drift either.
"""

from __future__ import annotations

import re
from pathlib import Path

from novita_mcp.server import TOOLSETS

ROOT = Path(__file__).resolve().parents[2]
COVERAGE = ROOT / "docs" / "coverage.md"
INDEX = Path(__file__).with_name("api_index.txt")
OVERVIEW = Path("/work/shared/novita-api/docs/001-api-reference-overview.txt")
_ROW = re.compile(r"^\| (?P<group>[^|]+) \| (?P<name>[^|]+) \| `(?P<slug>[a-z0-9.\-]+)` \| (?P<home>.+) \|$")
_TOOLS = re.compile(r"^((?:`[a-z_]+`(?:, )?)+)")


def _index() -> dict[str, str]:
    rows = [line.split("\t") for line in INDEX.read_text().splitlines() if line and not line.startswith("#")]
    return {slug: name for slug, name in rows}


def _coverage() -> dict[str, str]:
    rows = [m for line in COVERAGE.read_text().splitlines() if (m := _ROW.match(line))]
    slugs = [m["slug"] for m in rows]
    assert len(slugs) == len(set(slugs)), "an endpoint is listed twice"
    return {m["slug"]: m["home"].strip() for m in rows}


def _registered() -> set[str]:
    return {spec.name for info in TOOLSETS for spec in info.tools}


def test_the_committed_index_is_the_overview_pages_index() -> None:
    if not OVERVIEW.exists():  # the shared pages are not part of a clone; the committed copy is checked below
        return
    text = OVERVIEW.read_text()
    rows = re.findall(r"\| \[([^\]]+)\]\(/api-reference/([a-z0-9.\-]+)\)", text[: text.index("## Quick Start")])
    assert {slug: name for name, slug in rows} == _index()


def test_every_documented_endpoint_has_exactly_one_row_and_nothing_else_is_listed() -> None:
    assert set(_coverage()) == set(_index())


def test_every_home_is_registered_tools_or_a_stated_reason() -> None:
    tools = _registered()
    for slug, home in _coverage().items():
        named = _TOOLS.match(home)
        if named:
            for tool in re.findall(r"`([a-z_]+)`", named[1]):
                assert tool in tools, f"{slug}: {tool} is not a registered tool"
        else:
            assert re.match(r"^(no tool( yet)?|every tool): \S.{20,}", home), f"{slug}: give a tool or a reason"


def test_every_registered_tool_that_calls_an_indexed_endpoint_is_findable() -> None:
    # The media and LLM tools that exist for indexed endpoints are all named in the table.
    text = COVERAGE.read_text()
    for tool in ("generate_image", "edit_image", "generate_video", "reimagine_image", "describe_image", "chat",
                 "embed", "rerank", "get_task", "text_to_speech", "transcribe_audio"):
        assert f"`{tool}`" in text, tool


def test_contract_tests_never_import_the_client() -> None:
    # A contract test speaks HTTP or an official SDK; the client's own facts would make it agree with itself.
    imports = re.compile(r"^\s*(from|import)\s+novita_mcp\.client\b", re.M)
    for path in Path(__file__).parent.glob("*.py"):
        assert not imports.search(path.read_text()), path.name
