"""The OpenAI-compatible LLM API (REFERENCE.md §4): models, chat, completions, embeddings, rerank.

Chat can stream: ``chat_stream`` parses the server-sent events itself and yields typed
chunks, so a caller can report progress; ``ChatAccumulator`` folds the chunks back into one
``ChatCompletion``. ``base_url=`` sends a chat to another OpenAI-compatible host (a dedicated
endpoint), where the path is ``/v1/chat/completions`` and ``model`` is its routing key.
Files and batches (§4.6) live in ``client.llm.batch``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from functools import cached_property
from typing import Any

from pydantic import Field

from novita_mcp.client._http import HTTPCore
from novita_mcp.client._models import APIModel, LooseInt, LooseStr
from novita_mcp.client.errors import MalformedResponseError
from novita_mcp.client.llm_batch import LLMBatchAPI
from novita_mcp.ids import LLM_MODEL, segment

__all__ = ["LLMAPI", "LLMModel", "ChatCompletion", "ChatChunk", "ChatAccumulator", "ChatMessage", "ToolCall",
           "Usage", "TextCompletion", "Embeddings", "RerankResult", "RerankHit", "BASE", "DEDICATED_CHAT_PATH"]

BASE = "/openai/v1"
DEDICATED_CHAT_PATH = "/v1/chat/completions"
_PRICE_UNIT = Decimal(10_000)  # model prices: 0.0001 USD per 1M tokens
_MILLION = Decimal(1_000_000)


class LLMModel(APIModel):
    id: str
    title: LooseStr = ""
    description: LooseStr = ""
    created: LooseInt = 0
    context_size: LooseInt = 0
    max_output_tokens: LooseInt = 0
    input_token_price_per_m: LooseInt = 0
    output_token_price_per_m: LooseInt = 0
    features: list[str] = Field(default_factory=list)
    input_modalities: list[str] = Field(default_factory=list)
    output_modalities: list[str] = Field(default_factory=list)
    model_type: LooseStr = ""
    status: LooseInt = 1
    tags: list[str] = Field(default_factory=list)
    endpoints: list[str] = Field(default_factory=list)

    @property
    def input_usd_per_m(self) -> Decimal:
        return Decimal(self.input_token_price_per_m) / _PRICE_UNIT

    @property
    def output_usd_per_m(self) -> Decimal:
        return Decimal(self.output_token_price_per_m) / _PRICE_UNIT

    def cost_usd(self, prompt_tokens: int, completion_tokens: int = 0) -> Decimal:
        """§9: exact dollars for these token counts at this model's prices."""
        return (prompt_tokens * self.input_usd_per_m + completion_tokens * self.output_usd_per_m) / _MILLION

    @property
    def kind(self) -> str:
        """chat | embedding | rerank (from ``model_type``, or from ``endpoints`` when it is missing)."""
        if self.model_type:
            return self.model_type
        if "embeddings" in self.endpoints:
            return "embedding"
        return "rerank" if "rerank" in self.endpoints else "chat"


class Usage(APIModel):
    prompt_tokens: LooseInt = 0
    completion_tokens: LooseInt = 0
    total_tokens: LooseInt = 0


class ToolFunction(APIModel):
    name: LooseStr = ""
    arguments: LooseStr = ""


class ToolCall(APIModel):
    id: LooseStr = ""
    type: LooseStr = "function"
    function: ToolFunction = Field(default_factory=ToolFunction)


class ChatMessage(APIModel):
    role: LooseStr = "assistant"
    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)


class ChatChoice(APIModel):
    index: int = 0
    message: ChatMessage = Field(default_factory=ChatMessage)
    finish_reason: str | None = None


class ChatCompletion(APIModel):
    id: LooseStr = ""
    model: LooseStr = ""
    created: LooseInt = 0
    choices: list[ChatChoice] = Field(default_factory=list)
    usage: Usage | None = None

    @property
    def message(self) -> ChatMessage:
        return self.choices[0].message if self.choices else ChatMessage()

    @property
    def finish_reason(self) -> str | None:
        return self.choices[0].finish_reason if self.choices else None


class ChunkDelta(APIModel):
    role: str | None = None
    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)


class ChunkChoice(APIModel):
    index: int = 0
    delta: ChunkDelta = Field(default_factory=ChunkDelta)
    finish_reason: str | None = None


class ChatChunk(APIModel):
    id: LooseStr = ""
    model: LooseStr = ""
    created: LooseInt = 0
    choices: list[ChunkChoice] = Field(default_factory=list)
    usage: Usage | None = None


class ChatAccumulator:
    """Folds streamed chunks (first choice) into one ``ChatCompletion``."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.calls: dict[int, dict[str, str]] = {}
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.id = self.model = ""
        self.created = 0

    def add(self, chunk: ChatChunk) -> None:
        self.id = chunk.id or self.id
        self.model = chunk.model or self.model
        self.created = chunk.created or self.created
        if chunk.usage is not None:
            self.usage = chunk.usage
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            self.text.append(choice.delta.content or "")
            self.reasoning.append(choice.delta.reasoning_content or "")
            for part in choice.delta.tool_calls:
                call = self.calls.setdefault(int(part.get("index", 0)), {"id": "", "name": "", "arguments": ""})
                fn = part.get("function") or {}
                call["id"] = part.get("id") or call["id"]
                call["name"] += fn.get("name") or ""
                call["arguments"] += fn.get("arguments") or ""
            self.finish_reason = choice.finish_reason or self.finish_reason

    @property
    def content(self) -> str:
        return "".join(self.text)

    def result(self) -> ChatCompletion:
        calls = [ToolCall(id=c["id"], function=ToolFunction(name=c["name"], arguments=c["arguments"]))
                 for _, c in sorted(self.calls.items())]
        message = ChatMessage(content=None if calls and not self.content else self.content,
                              reasoning_content="".join(self.reasoning) or None, tool_calls=calls)
        return ChatCompletion(id=self.id, model=self.model, created=self.created, usage=self.usage,
                              choices=[ChatChoice(message=message, finish_reason=self.finish_reason)])


class TextChoice(APIModel):
    index: int = 0
    text: LooseStr = ""
    finish_reason: str | None = None


class TextCompletion(APIModel):
    id: LooseStr = ""
    model: LooseStr = ""
    choices: list[TextChoice] = Field(default_factory=list)
    usage: Usage | None = None


class EmbeddingItem(APIModel):
    index: int = 0
    embedding: list[float] = Field(default_factory=list)


class Embeddings(APIModel):
    model: LooseStr = ""
    data: list[EmbeddingItem] = Field(default_factory=list)
    usage: Usage | None = None


class RerankHit(APIModel):
    index: int
    relevance_score: float
    document: dict[str, Any] | None = None


class RerankResult(APIModel):
    id: LooseStr = ""
    results: list[RerankHit] = Field(default_factory=list)
    usage: Usage | None = None


def _chat_body(model: str, messages: Sequence[Mapping[str, Any]], *, max_tokens: int | None,
               temperature: float | None, response_format: Mapping[str, Any] | None,
               tools: Sequence[Mapping[str, Any]] | None, tool_choice: Any, stop: str | list[str] | None,
               extra: Mapping[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": [dict(m) for m in messages]}
    optional = {"max_tokens": max_tokens, "temperature": temperature, "response_format": response_format,
                "tools": tools, "tool_choice": tool_choice, "stop": stop}
    body.update({k: v for k, v in optional.items() if v is not None})
    body.update(extra or {})
    return body


async def _sse_data(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The ``data`` payload of each server-sent event (multi-line data joined; comments skipped)."""
    data: list[str] = []
    async for line in lines:
        if line == "":
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield "\n".join(data)


class LLMAPI:
    """``client.llm``: the OpenAI-compatible LLM endpoints, prices in the models list."""

    def __init__(self, http: HTTPCore) -> None:
        self._http = http

    @cached_property
    def batch(self) -> LLMBatchAPI:
        return LLMBatchAPI(self._http)

    async def models(self) -> list[LLMModel]:
        body = await self._http.request("GET", f"{BASE}/models")
        return [LLMModel.model_validate(m) for m in body.get("data") or []]

    async def model(self, model_id: str) -> LLMModel:
        return LLMModel.model_validate(await self._http.request("GET", f"{BASE}/models/{segment(LLM_MODEL, model_id)}"))

    def _chat_path(self, base_url: str | None) -> str:
        return DEDICATED_CHAT_PATH if base_url else f"{BASE}/chat/completions"

    async def chat(self, model: str, messages: Sequence[Mapping[str, Any]], *, max_tokens: int | None = None,
                   temperature: float | None = None, response_format: Mapping[str, Any] | None = None,
                   tools: Sequence[Mapping[str, Any]] | None = None, tool_choice: Any = None,
                   stop: str | list[str] | None = None, extra: Mapping[str, Any] | None = None,
                   base_url: str | None = None) -> ChatCompletion:
        """One chat completion. Never retried: a generation is billed."""
        body = _chat_body(model, messages, max_tokens=max_tokens, temperature=temperature,
                          response_format=response_format, tools=tools, tool_choice=tool_choice, stop=stop,
                          extra=extra)
        raw = await self._http.request("POST", self._chat_path(base_url), json_body=body, base_url=base_url)
        return ChatCompletion.model_validate(raw)

    async def chat_stream(self, model: str, messages: Sequence[Mapping[str, Any]], *,
                          max_tokens: int | None = None, temperature: float | None = None,
                          response_format: Mapping[str, Any] | None = None,
                          tools: Sequence[Mapping[str, Any]] | None = None, tool_choice: Any = None,
                          stop: str | list[str] | None = None, extra: Mapping[str, Any] | None = None,
                          base_url: str | None = None) -> AsyncIterator[ChatChunk]:
        """The same request with ``stream: true``; yields chunks, the last one carrying the usage."""
        body = _chat_body(model, messages, max_tokens=max_tokens, temperature=temperature,
                          response_format=response_format, tools=tools, tool_choice=tool_choice, stop=stop,
                          extra=extra)
        body.update(stream=True, stream_options={"include_usage": True})
        async with self._http.stream("POST", self._chat_path(base_url), json_body=body, base_url=base_url) as resp:
            async for data in _sse_data(resp.aiter_lines()):
                if data.strip() == "[DONE]":
                    return
                try:
                    yield ChatChunk.model_validate(json.loads(data))
                except ValueError:
                    raise MalformedResponseError("Novita sent a stream event that is not a JSON chunk.") from None

    async def completion(self, model: str, prompt: str, *, max_tokens: int | None = None,
                         temperature: float | None = None, stop: str | list[str] | None = None) -> TextCompletion:
        body: dict[str, Any] = {"model": model, "prompt": prompt}
        body.update({k: v for k, v in {"max_tokens": max_tokens, "temperature": temperature, "stop": stop}.items()
                     if v is not None})
        return TextCompletion.model_validate(await self._http.request("POST", f"{BASE}/completions", json_body=body))

    async def embeddings(self, model: str, inputs: Sequence[str]) -> Embeddings:
        body = {"model": model, "input": list(inputs), "encoding_format": "float"}
        return Embeddings.model_validate(await self._http.request("POST", f"{BASE}/embeddings", json_body=body))

    async def rerank(self, model: str, query: str, documents: Sequence[str], *,
                     top_n: int | None = None) -> RerankResult:
        body: dict[str, Any] = {"model": model, "query": query, "documents": list(documents)}
        if top_n is not None:
            body["top_n"] = top_n
        return RerankResult.model_validate(await self._http.request("POST", f"{BASE}/rerank", json_body=body))
