"""The house template, checked over every tool: one pagination convention, one deletion result,
one wording for plan actions and for the tools' own refusals (``novita_mcp/tools/_common.py``)."""

from __future__ import annotations

import ast
import re
import typing
from pathlib import Path

import pytest

import novita_mcp.tools
from novita_mcp.toolkit import Reply
from novita_mcp.tools._common import Deleted, page, paged
from novita_mcp.tools.registry import TOOLSETS

pytestmark = pytest.mark.anyio

TOOLS_DIR = Path(novita_mcp.tools.__file__).parent
SPECS = [spec for toolset in TOOLSETS for spec in toolset.tools]
# Novita pages these two lists only by an opaque cursor: offsets cannot be translated to it.
CURSOR_LISTS = {"list_image_models", "list_trainings"}


def _params(spec) -> set[str]:  # type: ignore[no-untyped-def]
    return set(typing.get_type_hints(spec.fn)) - {"return", "ctx", "run"}


def _output(spec) -> type:  # type: ignore[no-untyped-def]
    ret = typing.get_type_hints(spec.fn)["return"]
    assert typing.get_origin(ret) is Reply, spec.name
    (model,) = typing.get_args(ret)
    return model  # type: ignore[no-any-return]


def test_every_list_tool_pages_by_offset_and_limit() -> None:
    lists = [s for s in SPECS if s.name.startswith("list_")]
    assert len(lists) > 15
    for spec in lists:
        params = _params(spec)
        assert not params & {"page_num", "page_size", "page"}, spec.name
        if spec.name in CURSOR_LISTS:
            assert {"limit", "cursor"} <= params, spec.name
        elif "offset" in params:
            assert "limit" in params, spec.name
        else:  # lists short enough to return whole (clusters, credentials, ...) or capped by limit
            assert "cursor" not in params, spec.name


def test_every_delete_tool_answers_the_one_deleted_model() -> None:
    deletes = [s for s in SPECS if s.name.startswith("delete_") and s.name != "delete_instance"]
    assert len(deletes) >= 6
    for spec in deletes:
        assert _output(spec) is Deleted, spec.name
    # delete_instance is a lifecycle step like stop/start, and answers as they do.
    (instance,) = [s for s in SPECS if s.name == "delete_instance"]
    assert _output(instance).__name__ == "LifecycleResult"


async def test_paged_reads_any_window_over_numbered_pages() -> None:
    items = list(range(123))
    calls: list[tuple[int, int]] = []

    async def fetch(size: int, num: int) -> tuple[list[int], int]:
        calls.append((size, num))
        return items[num * size : (num + 1) * size], len(items)

    for offset, limit in [(0, 20), (45, 10), (49, 2), (50, 50), (99, 100), (120, 20), (123, 5), (200, 5)]:
        calls.clear()
        got = await paged(fetch, offset, limit, page_size=50)
        assert got == page(items, offset, limit), (offset, limit)
        assert len(calls) <= 3


# --- wording -------------------------------------------------------------------------------

def _modules() -> list[Path]:
    return sorted(TOOLS_DIR.rglob("*.py"))


def _text(node: ast.expr) -> str | None:
    """The literal text of a string or f-string (placeholders as {}), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
                       for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        return None if left is None else left + (right if right is not None else "{}")
    return None


def _plan_actions() -> list[tuple[str, str]]:
    """(where, action) for every Plan(action=...) in the tools, following an action passed in
    through a helper's parameter to the helper's callers."""
    found: list[tuple[str, str]] = []
    relayed: dict[str, int] = {}  # helper name -> index of its parameter that becomes the action
    trees = {path: ast.parse(path.read_text()) for path in _modules()}
    for path, tree in trees.items():
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for call in ast.walk(fn):
                if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Plan"):
                    continue
                for kw in call.keywords:
                    if kw.arg != "action":
                        continue
                    text = _text(kw.value)
                    if text is not None:
                        found.append((f"{path.name}:{call.lineno}", text))
                    elif isinstance(kw.value, ast.Name):
                        names = [a.arg for a in fn.args.args]
                        assert kw.value.id in names, f"{path.name}:{call.lineno}: action from {kw.value.id}"
                        relayed[fn.name] = names.index(kw.value.id)
                    else:
                        raise AssertionError(f"{path.name}:{call.lineno}: an action the check cannot read")
    for path, tree in trees.items():
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) in relayed:
                index = relayed[call.func.id]  # type: ignore[attr-defined]
                text = _text(call.args[index]) if len(call.args) > index else None
                assert text is not None, f"{path.name}:{call.lineno}: an action the check cannot read"
                found.append((f"{path.name}:{call.lineno}", text))
    return found


def test_every_plan_action_starts_with_a_capital_verb_and_no_full_stop() -> None:
    actions = _plan_actions()
    assert len(actions) >= 40  # every guarded tool has at least one
    for where, action in actions:
        first = action.split()[0]
        assert first[0].isupper() and first.replace("-", "").isalpha(), (where, action)
        assert not action.rstrip().endswith("."), (where, action)


def test_the_tools_own_refusals_end_in_one_phrase() -> None:
    """A tool that refuses its arguments has sent nothing, and says so in the same words
    (the guard's own refusals say "Nothing was done.", ``guard/outcome.py``)."""
    refusals = 0
    for path in _modules():
        if path.name == "_register.py":  # the one message about an internal failure, not a refusal
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                    and getattr(node.exc.func, "id", None) == "ToolError" and node.exc.args):
                continue
            text = _text(node.exc.args[0])
            tail = re.split(r"(?<=[.;!?])\s+", text.strip())[-1] if text else ""
            if not tail.lower().startswith(("nothing was", "nothing is", "nothing has")):
                continue  # "nothing could be linked" and the like report a result, not a refusal
            refusals += 1
            assert tail == "Nothing was sent.", f"{path.name}:{node.lineno}: {text!r}"
    assert refusals > 30
