"""A simple, deterministic token count, shared by the quotes and by the sandbox.

Real models each have their own tokenizer, which the server cannot run; quotes need an
estimate that is cheap, stable and close to what providers count. The rule:

* a run of ASCII letters and digits counts one token per started 4 characters
  ("tokens" = 2, "a" = 1, "2026" = 1);
* any other non-space character (punctuation, CJK, emoji) counts 1;
* whitespace counts nothing.

A chat prompt adds 4 tokens per message (role and framing) plus 2 that prime the reply;
an image or audio part counts a flat 85 tokens. The sandbox counts with exactly these
functions, so against it a quote is exact; against Novita it is an estimate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["count_tokens", "message_tokens", "chat_prompt_tokens", "completion_prompts", "rerank_tokens",
           "truncate_to_tokens", "PER_MESSAGE", "REPLY_PRIMING", "MEDIA_PART"]

PER_MESSAGE = 4
REPLY_PRIMING = 2
MEDIA_PART = 85

_PIECE = re.compile(r"[A-Za-z0-9]+|[^\sA-Za-z0-9]")


def _piece_tokens(piece: str) -> int:
    return (len(piece) + 3) // 4 if piece[0].isascii() and piece[0].isalnum() else 1


def count_tokens(text: str) -> int:
    """Tokens in ``text`` by the rule above."""
    return sum(_piece_tokens(p) for p in _PIECE.findall(text))


def _content_tokens(content: Any) -> int:
    if content is None:
        return 0
    if isinstance(content, str):
        return count_tokens(content)
    total = 0
    for part in content if isinstance(content, list) else [content]:
        if isinstance(part, Mapping) and part.get("type") == "text":
            total += count_tokens(str(part.get("text") or ""))
        elif isinstance(part, Mapping):
            total += MEDIA_PART
        else:
            total += count_tokens(str(part))
    return total


def message_tokens(message: Mapping[str, Any]) -> int:
    total = PER_MESSAGE + _content_tokens(message.get("content"))
    if message.get("name"):
        total += count_tokens(str(message["name"]))
    for call in message.get("tool_calls") or []:
        fn = (call.get("function") or {}) if isinstance(call, Mapping) else {}
        total += count_tokens(str(fn.get("name") or "")) + count_tokens(str(fn.get("arguments") or ""))
    return total


def chat_prompt_tokens(messages: Iterable[Mapping[str, Any]], tools: list[Any] | None = None) -> int:
    """Prompt tokens of a chat request: the messages, their framing, and the tool definitions."""
    total = sum(message_tokens(m) for m in messages) + REPLY_PRIMING
    if tools:
        total += count_tokens(json.dumps(tools, separators=(",", ":"), sort_keys=True))
    return total


def completion_prompts(prompt: Any) -> list[str]:
    """The prompts a completions request runs, as texts to count: one per string of a list.

    ``prompt`` may be a string, a non-empty list of strings (each is its own prompt, answered
    ``n`` times and billed for its own output) or a non-empty list of token ids (one prompt,
    counted from its digits, never less than one token per id). Anything else is a
    ``ValueError``, as the API refuses it.
    """
    if isinstance(prompt, str):
        return [prompt]
    if isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt):
        return list(prompt)
    if isinstance(prompt, list) and prompt and all(isinstance(p, int) and not isinstance(p, bool) for p in prompt):
        return [" ".join(map(str, prompt))]
    raise ValueError("prompt must be a string, an array of strings or an array of token ids")


def rerank_tokens(query: str, documents: Iterable[str]) -> int:
    """A reranker reads the query once per document."""
    q = count_tokens(query)
    return sum(q + count_tokens(doc) for doc in documents)


def truncate_to_tokens(text: str, limit: int) -> tuple[str, int, bool]:
    """The longest prefix of ``text`` within ``limit`` tokens: (prefix, its tokens, was it cut).

    A long word may be cut inside (4 characters a token), so a cut text uses exactly ``limit``.
    """
    used = 0
    end = 0
    for match in _PIECE.finditer(text):
        cost = _piece_tokens(match.group())
        if used + cost > limit:
            room = limit - used
            if room > 0 and cost > 1:
                return text[: match.start() + room * 4], limit, True
            return text[:end], used, True
        used += cost
        end = match.end()
    return text, used, False
