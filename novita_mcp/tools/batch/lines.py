"""The input of an LLM batch: read, validated like Novita validates it, and priced line by line.

A batch is quoted before anything is uploaded, so its quote must not be cheaper than what the
lines can cost. Every line is checked first (a line Novita would refuse is refused here, with
its line number), and only then priced:

* a line is ``{custom_id, body}`` with optional ``method`` (``POST``) and ``url`` (the batch's
  endpoint), as Novita's upload page shows; ``custom_id`` is a unique string;
* every line names the same model (Novita: "all requests within a single batch JSONL file must
  target the same model"), one the models list knows, that serves the endpoint;
* ``n`` (1-128), ``best_of``, ``max_tokens`` / ``max_completion_tokens`` (at least 1, at most the
  model's ``max_output_tokens``) and the sampling fields are checked as the API checks them;
* a completions ``prompt`` may be a list: each prompt is answered ``n`` times and is billed for
  its own output, so a line of 40 prompts costs 40 answers;
* a line without ``max_tokens`` is priced at the most the model can write in one answer
  (``max_output_tokens``; the context size when the catalogue gives no output limit), never at a
  guess of what it will write. Prompt sizes are estimates against Novita, so the room left in the
  context is not subtracted from that ceiling.

The parsing and the pricing are pure functions; only ``quote_lines`` reads the models list.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from mcp.server.mcpserver.exceptions import ToolError

from novita_mcp.client.llm import LLMModel
from novita_mcp.client.llm_batch import BatchEndpoint
from novita_mcp.client.llm_tokens import chat_prompt_tokens, completion_prompts, count_tokens
from novita_mcp.toolkit import Services
from novita_mcp.tools.llm.catalogue import resolve_model

__all__ = ["ENDPOINTS", "MAX_LINES", "MAX_N", "Kind", "Line", "LinePrice", "answer_ceiling", "BatchQuote", "parse_lines", "price_lines",
           "quote_lines"]

Kind = Literal["chat", "completions"]
ENDPOINTS: dict[Kind, BatchEndpoint] = {"chat": "/v1/chat/completions", "completions": "/v1/completions"}
MAX_LINES = 5000
MAX_N = 128  # the API's range for n (and so for best_of)
_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_NOTHING = "Nothing was sent."


def _refuse(number: int, custom_id: str | None, why: str) -> ToolError:
    who = f" (custom_id {custom_id!r})" if custom_id else ""
    return ToolError(f"Line {number}{who}: {why}. {_NOTHING}")


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number_in(body: Mapping[str, Any], name: str, low: float, high: float, *, integer: bool = False,
               low_open: bool = False) -> str | None:
    """Why ``body[name]`` is not acceptable to the API, or None (absent or null is fine)."""
    value = body.get(name)
    if value is None:
        return None
    ok_type = _integer(value) if integer else (isinstance(value, int | float) and not isinstance(value, bool))
    if not ok_type or value > high or value < low or (low_open and value == low):
        bound = f"({low:g}, {high:g}]" if low_open else f"[{low:g}, {high:g}]"
        return f"{name} must be {'an integer' if integer else 'a number'} in {bound}, got {value!r}"
    return None


def _check_sampling(body: Mapping[str, Any]) -> str | None:
    for why in (_number_in(body, "n", 1, MAX_N, integer=True), _number_in(body, "best_of", 1, MAX_N, integer=True),
                _number_in(body, "temperature", 0, 2), _number_in(body, "top_p", 0, 1, low_open=True),
                _number_in(body, "top_k", 1, 128, integer=True), _number_in(body, "min_p", 0, 1),
                _number_in(body, "frequency_penalty", -2, 2), _number_in(body, "presence_penalty", -2, 2)):
        if why:
            return why
    if body.get("best_of") is not None and body["best_of"] < (body.get("n") or 1):
        return f"best_of ({body['best_of']}) must be at least n ({body.get('n') or 1})"
    stop = body.get("stop")
    if stop is not None and not (isinstance(stop, str) or (isinstance(stop, list) and len(stop) <= 4
                                                           and all(isinstance(s, str) for s in stop))):
        return "stop must be a string or a list of at most 4 strings"
    if "stream" in body and not isinstance(body["stream"], bool | None):
        return "stream must be a boolean"
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if value is not None and not (_integer(value) and value >= 1):
            return f"{name} must be a whole number of at least 1, got {value!r}"
    return None


def _check_chat(body: Mapping[str, Any]) -> str | None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "body.messages must be a non-empty array"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in _ROLES:
            return f"messages[{i}].role must be one of {', '.join(sorted(_ROLES))}"
        if not (m.get("content") is None or isinstance(m["content"], str | list)):
            return f"messages[{i}].content must be a string, an array of parts or null"
        if m.get("tool_calls") is not None and not isinstance(m["tool_calls"], list):
            return f"messages[{i}].tool_calls must be an array"
    tools = body.get("tools")
    if tools is not None and not (isinstance(tools, list) and all(
            isinstance(t, dict) and isinstance(t.get("function"), dict) for t in tools)):
        return "tools must be an array of {type: function, function: {name, parameters}}"
    fmt = body.get("response_format")
    if fmt is not None and (not isinstance(fmt, dict) or fmt.get("type", "text") not in
                            ("text", "json_object", "json_schema")):
        return "response_format.type must be text, json_object or json_schema"
    return None


def _check_line(raw: Any, kind: Kind) -> tuple[str | None, str | None]:
    """(custom_id or None, why the line is refused or None)."""
    if not isinstance(raw, dict):
        return None, "a line must be a JSON object {custom_id, body}"
    custom_id = raw.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id.strip():
        return None, "custom_id must be a non-empty string"
    body = raw.get("body")
    if not isinstance(body, dict):
        return custom_id, "body must be the request object"
    method = raw.get("method", "POST")
    if not isinstance(method, str) or method.upper() != "POST":
        return custom_id, f"method must be POST, got {method!r}"
    url = raw.get("url", ENDPOINTS[kind])
    if url != ENDPOINTS[kind]:
        return custom_id, f"url is {url!r}, but this batch runs {ENDPOINTS[kind]}"
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return custom_id, "body.model is required"
    why = _check_chat(body) if kind == "chat" else None
    if kind == "completions":
        try:
            completion_prompts(body.get("prompt"))
        except ValueError as exc:
            why = f"body.{exc}"
    return custom_id, why or _check_sampling(body)


class Line(dict[str, Any]):
    """One API line ``{custom_id, method, url, body}`` (it serialises as exactly that) that
    remembers its line number in the input, for messages."""

    number: int = 0


def _line(custom_id: str, kind: Kind, body: dict[str, Any], number: int) -> Line:
    line = Line(custom_id=custom_id, method="POST", url=ENDPOINTS[kind], body=body)
    line.number = number
    return line


def parse_lines(data: bytes, kind: Kind) -> list[Line]:
    """The input as API-shaped lines ``{custom_id, method, url, body}``; a ToolError naming the
    first line Novita would refuse. Lines are split on newlines, as JSONL is."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"The input is not UTF-8 text (JSON lines). {_NOTHING}") from None
    out: list[Line] = []
    seen: dict[str, int] = {}
    for number, raw_line in enumerate(text.split("\n"), start=1):
        raw_line = raw_line.removesuffix("\r")
        if not raw_line.strip():
            continue
        try:
            raw = json.loads(raw_line)
        except ValueError:
            raise ToolError(f"Line {number} is not valid JSON. {_NOTHING}") from None
        custom_id, why = _check_line(raw, kind)
        if why:
            raise _refuse(number, custom_id, why)
        assert custom_id is not None
        if custom_id in seen:
            raise _refuse(number, custom_id, f"custom_id is already used on line {seen[custom_id]}; each request "
                                             "needs its own")
        seen[custom_id] = number
        out.append(_line(custom_id, kind, raw["body"], number))
        if len(out) > MAX_LINES:
            raise ToolError(f"The input has more than {MAX_LINES:,} requests. {_NOTHING}")
    if not out:
        raise ToolError(f"The input has no requests. {_NOTHING}")
    return out


@dataclass(frozen=True)
class LinePrice:
    line: int
    custom_id: str
    prompt_tokens: int
    output_tokens: int  # the most the line can be billed for: answers x max_tokens
    usd: Decimal
    max_tokens_given: bool


@dataclass(frozen=True)
class BatchQuote:
    model: LLMModel
    lines: tuple[LinePrice, ...]

    @property
    def usd(self) -> Decimal:
        return sum((p.usd for p in self.lines), Decimal(0))

    @property
    def prompt_tokens(self) -> int:
        return sum(p.prompt_tokens for p in self.lines)

    @property
    def output_tokens(self) -> int:
        return sum(p.output_tokens for p in self.lines)

    @property
    def without_max_tokens(self) -> int:
        return sum(1 for p in self.lines if not p.max_tokens_given)


def answer_ceiling(model: LLMModel) -> int:
    """The most tokens one answer of ``model`` may be billed for when a request sets no limit."""
    return model.max_output_tokens if model.max_output_tokens > 0 else model.context_size


def _price_line(line: Mapping[str, Any], kind: Kind, model: LLMModel) -> LinePrice:
    body, number, custom_id = line["body"], getattr(line, "number", 0), line["custom_id"]
    if kind == "chat":
        prompts = [chat_prompt_tokens(body["messages"], body.get("tools"))]
    else:
        prompts = [count_tokens(p) for p in completion_prompts(body["prompt"])]
    given = body.get("max_tokens", body.get("max_completion_tokens"))
    if given is not None and model.max_output_tokens > 0 and given > model.max_output_tokens:
        raise _refuse(number, custom_id, f"max_tokens {given:,} is above {model.id}'s limit of "
                                         f"{model.max_output_tokens:,}")
    per_answer = given if given is not None else answer_ceiling(model)
    if per_answer <= 0:
        raise _refuse(number, custom_id, f"{model.id} reports no output limit, so the line cannot be priced; "
                                         "set max_tokens")
    if model.context_size > 0:
        longest = max(prompts)
        if longest >= model.context_size or (given is not None and longest + given > model.context_size):
            limit = f" plus max_tokens ({given:,})" if given is not None else ""
            raise _refuse(number, custom_id, f"the prompt (~{longest:,} tokens){limit} exceeds {model.id}'s context "
                                             f"of {model.context_size:,} tokens")
    answers = max(body.get("n") or 1, body.get("best_of") or 1)  # best_of answers are all billed
    prompt_tokens = sum(prompts)
    output_tokens = per_answer * answers * len(prompts)
    return LinePrice(line=number, custom_id=custom_id, prompt_tokens=prompt_tokens, output_tokens=output_tokens,
                     usd=model.cost_usd(prompt_tokens, output_tokens), max_tokens_given=given is not None)


def price_lines(lines: Sequence[Mapping[str, Any]], kind: Kind, model: LLMModel) -> BatchQuote:
    """Price checked lines (from ``parse_lines``) with ``model``'s catalogue entry."""
    return BatchQuote(model=model, lines=tuple(_price_line(line, kind, model) for line in lines))


def _number(line: Mapping[str, Any]) -> int:
    return getattr(line, "number", 0)


def _serves(model: LLMModel, kind: Kind) -> bool:
    wanted = "chat/completions" if kind == "chat" else "completions"
    return not model.endpoints or any(e.strip("/").removeprefix("v1/") == wanted for e in model.endpoints)


async def quote_lines(app: Services, lines: Sequence[Mapping[str, Any]], kind: Kind) -> BatchQuote:
    """The batch's model (one for every line, known to the models list) and the price of every line."""
    first = lines[0]
    name = first["body"]["model"]
    for line in lines[1:]:
        if line["body"]["model"] != name:
            raise _refuse(_number(line), line["custom_id"], f"model {line['body']['model']!r} differs from line "
                          f"{_number(first)}'s {name!r}; Novita runs one model per batch (split the input)")
    try:
        model = await resolve_model(app, name, "chat")
    except ToolError as exc:
        raise ToolError(f"Line {_number(first)} (custom_id {first['custom_id']!r}): {exc}") from None
    if not _serves(model, kind):
        raise _refuse(_number(first), first["custom_id"], f"{model.id} does not serve {ENDPOINTS[kind]}")
    return price_lines(lines, kind, model)
