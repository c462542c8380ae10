"""Lean JSON schemas for ``tools/list``: what pydantic generates, minus what tells a model nothing.

Every tool's input and output schema goes through here once, where the tool object is built
(``tools/_register.py``). The rewrite keeps every constraint a value is checked against and only
drops or folds what restates something:

* ``title`` (pydantic derives it from the name: "Instance Id" for ``instance_id``);
* an optional input that defaults to null: ``anyOf [X, null]`` + ``default: null`` becomes ``X``
  outside ``required`` (leaving it out and sending null mean the same thing; the SDK validates
  arguments with the pydantic model, which still accepts null);
* elsewhere a nullable ``anyOf [X, null]`` becomes ``X`` with ``type: [t, "null"]`` (and null in
  its ``enum``), the same set of values in fewer bytes - output schemas must still accept the
  nulls that structured content carries, since clients validate results against them;
* in output schemas, defaults and descriptions: a model reads a result through its text and
  structured content, while ``outputSchema`` serves clients' validation (each field is still
  described on the Python model); and ``default: false`` on a
  boolean input (what leaving a flag out means anyway);
* ``type: string`` beside an ``enum`` of strings, and ``minLength: 1`` beside a ``pattern`` that
  rejects the empty string (each implied by the other keyword);
* in inputs, a ``maxLength`` of 2,000 or more: a guard against abuse that no value a model writes
  approaches, enforced all the same when the arguments are validated;
* ``$defs`` used once, inlined where they are used; an ``anyOf`` of bare types as one ``type`` list.

Nothing here changes what the server accepts or returns.
"""

from __future__ import annotations

import copy
import re
from typing import Any

__all__ = ["lean_input_schema", "lean_output_schema"]

_MISSING = object()
_QUIET_MAX_LENGTH = 2000
# Keywords whose value is one schema / a list of schemas / a map of name -> schema.
_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else")
_MANY = ("anyOf", "oneOf", "allOf", "prefixItems")
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


def lean_input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's ``inputSchema``, lean (see the module's docstring)."""
    return _lean(schema, output=False)


def lean_output_schema(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """A tool's ``outputSchema``, lean; still accepts every result the output model accepts."""
    return None if schema is None else _lean(schema, output=True)


def _lean(schema: dict[str, Any], *, output: bool) -> dict[str, Any]:
    out = _inline_single_use_defs(copy.deepcopy(schema))
    return _walk(out, output=output)


def _ref_name(ref: Any) -> str | None:
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return ref.removeprefix("#/$defs/")
    return None


def _refs(node: Any, counts: dict[str, int]) -> None:
    if isinstance(node, dict):
        name = _ref_name(node.get("$ref"))
        if name is not None:
            counts[name] = counts.get(name, 0) + 1
        for value in node.values():
            _refs(value, counts)
    elif isinstance(node, list):
        for value in node:
            _refs(value, counts)


def _inline_single_use_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace each ``$ref`` to a definition used exactly once (and not recursive) by the definition."""
    defs: dict[str, Any] = schema.get("$defs") or {}
    while defs:
        counts: dict[str, int] = {}
        _refs(schema, counts)
        once = [name for name, n in counts.items() if n == 1 and name in defs and not _mentions(defs[name], name)]
        if not once:
            break
        for name in once:
            body = defs.pop(name)
            _substitute(schema, name, body)
    if "$defs" in schema and not schema["$defs"]:
        del schema["$defs"]
    return schema


def _mentions(node: Any, name: str) -> bool:
    counts: dict[str, int] = {}
    _refs(node, counts)
    return name in counts


def _substitute(node: Any, name: str, body: dict[str, Any]) -> bool:
    if isinstance(node, dict):
        if _ref_name(node.get("$ref")) == name:
            del node["$ref"]
            # Sibling keywords (a description on the reference) win over the definition's own.
            for key, value in body.items():
                node.setdefault(key, value)
            return True
        # Other definitions included: the one use may sit inside another definition.
        return any(_substitute(v, name, body) for v in node.values())
    if isinstance(node, list):
        return any(_substitute(v, name, body) for v in node)
    return False


def _nullable_branch(node: dict[str, Any]) -> dict[str, Any] | None:
    """For ``anyOf [X, {"type": "null"}]`` (either order), X; else None."""
    options = node.get("anyOf")
    if not isinstance(options, list) or len(options) != 2:
        return None
    nulls = [o for o in options if o == {"type": "null"}]
    others = [o for o in options if o != {"type": "null"}]
    if len(nulls) != 1 or len(others) != 1 or not isinstance(others[0], dict):
        return None
    return others[0]


def _merge(node: dict[str, Any], branch: dict[str, Any]) -> dict[str, Any]:
    """``node`` without its ``anyOf``, with the branch's keywords (the node's own win)."""
    merged = {k: v for k, v in node.items() if k != "anyOf"}
    for key, value in branch.items():
        merged.setdefault(key, value)
    return merged


def _fold_null(node: dict[str, Any]) -> dict[str, Any]:
    """``anyOf [X, null]`` as one schema accepting null too, where X is a plain typed schema."""
    branch = _nullable_branch(node)
    if branch is None or not isinstance(branch.get("type"), str) or "$ref" in branch:
        return node
    if any(k in branch for k in _MANY) or "const" in branch:
        return node
    merged = _merge(node, branch)
    merged.pop("title", None)
    if "enum" in merged:
        # The enum alone says which values are accepted, null now among them.
        merged["enum"] = [*merged["enum"], None]
        del merged["type"]
    else:
        merged["type"] = [branch["type"], "null"]
    return merged


def _rejects_empty(pattern: Any) -> bool:
    if not isinstance(pattern, str):
        return False
    try:
        return re.search(pattern, "") is None
    except re.error:
        return False


def _walk(node: dict[str, Any], *, output: bool, optional_null: bool = False) -> dict[str, Any]:
    """One schema, lean; ``optional_null``: it is an input property outside ``required`` whose default is null."""
    if optional_null:
        branch = _nullable_branch(node)
        if branch is not None:
            node = _merge(node, branch)
        elif isinstance(node.get("anyOf"), list) and {"type": "null"} in node["anyOf"]:
            node["anyOf"] = [o for o in node["anyOf"] if o != {"type": "null"}]
    node.pop("title", None)
    if output:
        node.pop("default", None)
        if isinstance(node.get("description"), str):
            del node["description"]
    elif node.get("default", _MISSING) is None:
        del node["default"]
    elif node.get("type") == "boolean" and node.get("default", _MISSING) is False:
        del node["default"]
    node = _fold_null(node)
    if node.get("type") == "string" and isinstance(node.get("enum"), list) and \
            all(isinstance(v, str) for v in node["enum"]):
        del node["type"]
    if not output and isinstance(node.get("maxLength"), int) and node["maxLength"] >= _QUIET_MAX_LENGTH:
        del node["maxLength"]
    if node.get("minLength") == 1 and _rejects_empty(node.get("pattern")):
        del node["minLength"]

    required = set(node.get("required", ()))
    for key in _MAP:
        value = node.get(key)
        if isinstance(value, dict):
            node[key] = {
                name: _walk(sub, output=output,
                            optional_null=(key == "properties" and not output and name not in required
                                           and sub.get("default", _MISSING) is None))
                if isinstance(sub, dict) else sub
                for name, sub in value.items()
            }
    for key in _ONE:
        value = node.get(key)
        if isinstance(value, dict):
            node[key] = _walk(value, output=output)
    for key in _MANY:
        value = node.get(key)
        if isinstance(value, list):
            node[key] = [_walk(v, output=output) if isinstance(v, dict) else v for v in value]
    return _types_of_bare_branches(node)


def _types_of_bare_branches(node: dict[str, Any]) -> dict[str, Any]:
    """``anyOf [{"type": a}, {"type": b}]`` (nothing but types) as ``type: [a, b]``: the same values."""
    options = node.get("anyOf")
    if isinstance(options, list) and options and "type" not in node and \
            all(isinstance(o, dict) and set(o) == {"type"} and isinstance(o["type"], str) for o in options):
        node = {k: v for k, v in node.items() if k != "anyOf"}
        node["type"] = [o["type"] for o in options]
    return node
