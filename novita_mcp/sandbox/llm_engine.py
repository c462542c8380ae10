"""What the sandbox's models "say": deterministic text, JSON, tool calls, vectors and scores.

Nothing here is random, so tests can assert on every word. The rules:

* **Chat answer**: ``Sandbox reply from <model>: you said "<last user message, first 120
  characters>".`` If that message asks for ``N words`` (e.g. "write 300 words about X"),
  N filler words (one token each) follow, up to 20 000. After a ``tool`` message the answer
  is ``Sandbox reply from <model>: the tool returned "<first 120 characters>".``
* **JSON mode** (``response_format`` ``json_object``): ``{"answer": <the answer>, "model": <id>}``;
  with ``json_schema``, an instance of the schema whose first string property holds the answer.
* **Tool calls**, when ``tools`` are given and ``tool_choice`` is not ``"none"``: a call is made
  if ``tool_choice`` names a function, if it is ``"required"`` (the first tool), or if the last
  message is the user's and contains a function's name (``get_weather`` or ``get weather``).
  Arguments fill the schema's required properties: a ``prop=value``, ``prop: value`` or
  ``prop="quoted value"`` found in the message (a bare value ends at a comma, semicolon, line
  end or the next ``word=``), else the first enum value, ``"example"``, ``1``, ``true``, ``[]`` or ``{}``.
* ``max_tokens`` cuts the text (finish_reason ``length``); a ``stop`` string cuts it (``stop``).
* **Embeddings**: a unit vector of the model's dimension, seeded by sha256(model, text).
* **Rerank score**: 0.05 + 0.9 × (share of the query's words found in the document) + a
  hash-seeded jitter below 0.05.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from novita_mcp.client.llm_tokens import count_tokens, truncate_to_tokens
from novita_mcp.sandbox.llm_catalog import ModelSpec
from novita_mcp.sandbox.state import SandboxState

__all__ = ["Choice", "ChatResult", "answer_text", "tool_call_for", "schema_instance", "finish_text",
           "embedding_vector", "relevance", "cost_units", "charge_tokens", "text_of", "json_answer",
           "MAX_FILLER_WORDS"]

MAX_FILLER_WORDS = 20_000
_FILLER = ("the", "calm", "blue", "lake", "and", "one", "tall", "tree", "by", "a", "red", "barn", "in", "soft",
           "rain")
_WORDS_ASKED = re.compile(r"\b(\d{1,6})\s+words?\b", re.IGNORECASE)
_MILLION = Decimal(1_000_000)


def text_of(content: Any) -> str:
    """The text of a message's content (string, or the text parts of a list)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text") or "") for p in content if isinstance(p, Mapping) and p.get("type") == "text")
    return str(content)


def _snippet(text: str) -> str:
    return " ".join(text.split())[:120]


def _filler(text: str) -> str:
    asked = _WORDS_ASKED.search(text)
    if not asked:
        return ""
    n = min(int(asked.group(1)), MAX_FILLER_WORDS)
    return "".join(" " + _FILLER[i % len(_FILLER)] for i in range(n))


def answer_text(messages: list[Mapping[str, Any]], model: str) -> str:
    last = messages[-1] if messages else {}
    if last.get("role") == "tool":
        return f'Sandbox reply from {model}: the tool returned "{_snippet(text_of(last.get("content")))}".'
    user = next((text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    return f'Sandbox reply from {model}: you said "{_snippet(user)}".' + _filler(user)


def _value_for(name: str, schema: Mapping[str, Any], hint: str) -> Any:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    found = re.search(rf'\b{re.escape(name)}\s*[=:]\s*(?:"([^"]*)"|(.+?))(?=\s+\w+\s*[=:]|[,;\n]|$)', hint)
    if found:
        raw = found.group(1) if found.group(1) is not None else found.group(2).strip().rstrip(".!?")
        try:
            if kind == "integer":
                return int(raw)
            if kind == "number":
                return float(raw)
            if kind == "boolean":
                return raw.lower() in ("true", "yes", "1")
        except ValueError:
            pass
        if kind in (None, "string"):
            return raw
    if schema.get("enum"):
        return schema["enum"][0]
    return {"integer": 1, "number": 1, "boolean": True, "array": [], "object": {}, "null": None}.get(
        str(kind), "example")


def schema_instance(schema: Mapping[str, Any], hint: str = "", answer: str | None = None) -> dict[str, Any]:
    """An object with the schema's required properties (all of them if none are required)."""
    props: Mapping[str, Any] = schema.get("properties") or {}
    names = list(schema.get("required") or props)
    out: dict[str, Any] = {}
    for name in names:
        sub = props.get(name) or {}
        if answer is not None and sub.get("type", "string") == "string" and not sub.get("enum"):
            out[name], answer = answer, None
        elif sub.get("type") == "object" and sub.get("properties"):
            out[name] = schema_instance(sub, hint)
        else:
            out[name] = _value_for(name, sub, hint)
    return out


def tool_call_for(messages: list[Mapping[str, Any]], tools: list[Mapping[str, Any]] | None,
                  tool_choice: Any) -> tuple[str, dict[str, Any]] | None:
    """(function name, arguments) when the rule above calls a tool, else None."""
    functions = [t.get("function") or {} for t in tools or [] if isinstance(t, Mapping)]
    functions = [f for f in functions if f.get("name")]
    if not functions or tool_choice == "none":
        return None
    last = messages[-1] if messages else {}
    hint = text_of(last.get("content")) if last.get("role") == "user" else ""
    chosen = None
    if isinstance(tool_choice, Mapping):
        wanted = (tool_choice.get("function") or {}).get("name")
        chosen = next((f for f in functions if f["name"] == wanted), None)
    elif tool_choice == "required":
        chosen = functions[0]
    elif hint:
        low = hint.lower()
        chosen = next((f for f in functions
                       if f["name"].lower() in low or f["name"].lower().replace("_", " ") in low), None)
    if chosen is None:
        return None
    return chosen["name"], schema_instance(chosen.get("parameters") or {}, hint)


def finish_text(text: str, max_tokens: int, stop: str | list[str] | None) -> tuple[str, str]:
    """Apply ``stop`` then ``max_tokens``: (text, finish_reason)."""
    reason = "stop"
    for s in [stop] if isinstance(stop, str) else stop or []:
        if s and s in text:
            text = text[: text.index(s)]
    text, _, cut = truncate_to_tokens(text, max_tokens)
    if cut:
        reason = "length"
    return text, reason


@dataclass
class Choice:
    index: int
    content: str | None
    finish_reason: str
    tool_calls: list[dict[str, Any]] | None = None

    @property
    def tokens(self) -> int:
        if self.tool_calls:
            return sum(count_tokens(c["function"]["name"]) + count_tokens(c["function"]["arguments"])
                       for c in self.tool_calls)
        return count_tokens(self.content or "")

    def message(self) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": self.content, "reasoning_content": None}
        if self.tool_calls:
            msg["tool_calls"] = self.tool_calls
        return msg


@dataclass
class ChatResult:
    """One generated chat completion, rendered as a JSON body or as SSE chunks."""

    id: str
    created: int
    model: str
    prompt_tokens: int
    choices: list[Choice] = field(default_factory=list)

    @property
    def completion_tokens(self) -> int:
        return sum(c.tokens for c in self.choices)

    def usage(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens}

    def body(self) -> dict[str, Any]:
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
                "choices": [{"index": c.index, "finish_reason": c.finish_reason, "message": c.message(),
                             "logprobs": None} for c in self.choices],
                "usage": self.usage()}

    def chunks(self, include_usage: bool) -> Iterator[dict[str, Any]]:
        """OpenAI chunk objects: a role delta, content pieces (a few words each), a finish delta,
        then with ``include_usage`` a last chunk with empty ``choices`` and the usage."""

        def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            out: dict[str, Any] = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                                   "model": self.model,
                                   "choices": [{"index": index, "delta": delta, "finish_reason": finish,
                                                "logprobs": None}]}
            if include_usage:
                out["usage"] = None
            return out

        for c in self.choices:
            yield chunk(c.index, {"role": "assistant", "content": ""})
            if c.tool_calls:
                for i, call in enumerate(c.tool_calls):
                    yield chunk(c.index, {"tool_calls": [{"index": i, **call}]})
            else:
                words = re.findall(r"\s*\S+", c.content or "")
                for start in range(0, len(words), 4):
                    yield chunk(c.index, {"content": "".join(words[start:start + 4])})
            yield chunk(c.index, {}, c.finish_reason)
        if include_usage:
            yield {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                   "choices": [], "usage": self.usage()}


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\0".join(parts).encode()).digest()[:8], "big")


def embedding_vector(model: str, text: str, dimensions: int) -> list[float]:
    rng = random.Random(_seed(model, text))
    raw = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = math.sqrt(sum(v * v for v in raw)) or 1.0
    return [round(v / norm, 7) for v in raw]


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z0-9]+", text)}


def relevance(query: str, document: str) -> float:
    q = _words(query)
    share = len(q & _words(document)) / len(q) if q else 0.0
    jitter = (_seed(query, document) % 10_000) / 200_000  # below 0.05
    return round(0.05 + 0.9 * share + jitter, 6)


def cost_units(model: ModelSpec, prompt_tokens: int, completion_tokens: int) -> Decimal:
    """Tokens / 1e6 × price per million, in 0.0001 USD units (exact)."""
    return (Decimal(prompt_tokens) * model.input_price + Decimal(completion_tokens) * model.output_price) / _MILLION


def charge_tokens(state: SandboxState, model: ModelSpec, prompt_tokens: int, completion_tokens: int,
                  *, owner_id: str = "") -> Decimal:
    """Charge an LLM call like Novita bills it (category ``llm``, tokens and unit prices on the line)."""
    amount = cost_units(model, prompt_tokens, completion_tokens)
    state.charge("llm", category="llm", product_name=model.id, amount_units=amount, owner_id=owner_id,
                 product_id=f"llm-{model.id}", bill_num0=Decimal(prompt_tokens), bill_num1=Decimal(completion_tokens),
                 unit_price0=Decimal(model.input_price), unit_price1=Decimal(model.output_price))
    return amount


def json_answer(text: str, model: str) -> str:
    return json.dumps({"answer": text, "model": model}, ensure_ascii=False)
