"""The OpenAI-compatible LLM API (Novita docs: model-apis-llm-* pages), served under every documented base.

``/openai/v1/...`` (current docs), ``/v3/openai/...`` (legacy base) and ``/openai/...``
without ``v1`` all reach the same handlers. Every call is charged by the model's catalogue
prices with tokens counted by ``novita_mcp.client.llm_tokens`` (the same rule the
server quotes with). What the models answer is fixed by ``llm_engine``.

Choices where the reference is silent or contradictory, made here:
* the docs say ``max_tokens`` is "lowered automatically to fit context"; the project's spec
  asks for ``TOKEN_LIMIT_EXCEEDED`` (429) when prompt + ``max_tokens`` exceed the context, so
  that is what the sandbox does. Without ``max_tokens`` it uses what fits (at most the
  model's ``max_output_tokens``); a ``max_tokens`` above ``max_output_tokens`` is a 400.
* an account whose balance (plus credit) does not cover the call gets 403 ``NOT_ENOUGH_BALANCE``
  before anything is generated (the whole cost is known up front here).
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from novita_mcp.client.llm_tokens import chat_prompt_tokens, count_tokens, rerank_tokens
from novita_mcp.sandbox.errors import SandboxError, json_object
from novita_mcp.sandbox.llm_catalog import CATALOGUE, ModelSpec, find_model, model_json
from novita_mcp.sandbox.llm_engine import (
    ChatResult,
    Choice,
    answer_text,
    charge_tokens,
    embedding_vector,
    finish_text,
    json_answer,
    relevance,
    schema_instance,
    text_of,
    tool_call_for,
)
from novita_mcp.sandbox.state import SandboxState

__all__ = ["LLMDomain", "LLM_PREFIXES", "bad_request", "read_json", "sse_response"]

LLM_PREFIXES = ("/openai/v1", "/v3/openai", "/openai")
_ROLES = {"system", "developer", "user", "assistant", "tool"}


def bad_request(message: str) -> SandboxError:
    return SandboxError("llm", "INVALID_REQUEST_BODY", message)


async def read_json(request: Request) -> dict[str, Any]:
    return await json_object(request, "llm")


def sse_response(events: Iterable[dict[str, Any]]) -> StreamingResponse:
    """``data: {json}`` events, then ``data: [DONE]`` (the chat-completion page), sent as they are produced."""

    async def stream() -> AsyncIterator[bytes]:
        for event in events:
            yield f"data: {json.dumps(event, separators=(',', ':'))}\n\n".encode()
        yield b"data: [DONE]\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _number(body: Mapping[str, Any], name: str, low: float, high: float, *, integer: bool = False,
            low_open: bool = False) -> None:
    value = body.get(name)
    if value is None:
        return
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type or value > high or value < low or (low_open and value == low):
        bound = f"({low}, {high}]" if low_open else f"[{low}, {high}]"
        raise bad_request(f"{name} must be {'an integer' if integer else 'a number'} in {bound}, got {value!r}")


def _sampling(body: Mapping[str, Any]) -> None:
    _number(body, "temperature", 0, 2)
    _number(body, "top_p", 0, 1, low_open=True)
    _number(body, "top_k", 1, 128, integer=True)
    _number(body, "min_p", 0, 1)
    _number(body, "frequency_penalty", -2, 2)
    _number(body, "presence_penalty", -2, 2)
    _number(body, "n", 1, 128, integer=True)
    stop = body.get("stop")
    if stop is not None and not (isinstance(stop, str) or (isinstance(stop, list) and len(stop) <= 4
                                                           and all(isinstance(s, str) for s in stop))):
        raise bad_request("stop must be a string or a list of at most 4 strings")
    if "stream" in body and not isinstance(body["stream"], bool | None):
        raise bad_request("stream must be a boolean")


def _include_usage(body: Mapping[str, Any]) -> bool:
    options = body.get("stream_options") or {}
    return bool(isinstance(options, Mapping) and options.get("include_usage"))


class LLMDomain:
    """Models, chat, completions, embeddings and rerank, charged per token."""

    name = "llm"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.routes: list[Route] = []
        for prefix in LLM_PREFIXES:
            self.routes += [
                Route(f"{prefix}/models", self.list_models, methods=["GET"]),
                Route(f"{prefix}/models/{{model:path}}", self.get_model, methods=["GET"]),
                Route(f"{prefix}/chat/completions", self.chat, methods=["POST"]),
                Route(f"{prefix}/completions", self.completions, methods=["POST"]),
                Route(f"{prefix}/embeddings", self.embeddings, methods=["POST"]),
                Route(f"{prefix}/rerank", self.rerank, methods=["POST"]),
            ]

    def settle(self, now: float) -> None:
        """Token billing happens per call; nothing accrues."""

    # --- helpers ---------------------------------------------------------------------------
    def model_for(self, body: Mapping[str, Any], endpoint: str) -> ModelSpec:
        name = body.get("model")
        if not isinstance(name, str) or not name:
            raise bad_request("model is required")
        model = find_model(name)
        if model is None:
            raise SandboxError("llm", "MODEL_NOT_FOUND", f"model {name} not found")
        if endpoint not in model.endpoints:
            raise bad_request(f"model {name} does not support {endpoint}")
        return model

    def _funds(self) -> None:
        if self.state.balance_units + self.state.credit_limit_units <= 0:
            raise SandboxError("llm", "NOT_ENOUGH_BALANCE", "not enough balance")

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{self.state.new_id():016x}"

    def _max_tokens(self, body: Mapping[str, Any], model: ModelSpec, prompt: int) -> int:
        raw = body.get("max_tokens", body.get("max_completion_tokens"))
        room = model.context_size - prompt
        if raw is None:
            if room < 1:
                raise SandboxError("llm", "TOKEN_LIMIT_EXCEEDED", f"the prompt ({prompt} tokens) exceeds the "
                                   f"context of {model.id} ({model.context_size} tokens)")
            return min(model.max_output_tokens, room)
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            raise bad_request(f"max_tokens must be a positive integer, got {raw!r}")
        if raw > model.max_output_tokens:
            raise bad_request(f"max_tokens {raw} exceeds max_output_tokens {model.max_output_tokens} of {model.id}")
        if prompt + raw > model.context_size:
            raise SandboxError("llm", "TOKEN_LIMIT_EXCEEDED", f"prompt ({prompt} tokens) + max_tokens ({raw}) "
                               f"exceed the context of {model.id} ({model.context_size} tokens)")
        return raw

    # --- handlers --------------------------------------------------------------------------
    async def list_models(self, request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [model_json(m) for m in CATALOGUE]})

    async def get_model(self, request: Request) -> JSONResponse:
        name = request.path_params["model"]
        model = find_model(name)
        if model is None:
            raise SandboxError("llm", "MODEL_NOT_FOUND", f"model {name} not found")
        return JSONResponse(model_json(model))

    async def chat(self, request: Request) -> Response:
        body = await read_json(request)
        result = self.run_chat(body)
        if body.get("stream"):
            return sse_response(result.chunks(_include_usage(body)))
        return JSONResponse(result.body())

    def run_chat(self, body: Mapping[str, Any], *, owner_id: str = "") -> ChatResult:
        """Validate, generate and charge one chat completion (also used by batches)."""
        model = self.model_for(body, "chat/completions")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise bad_request("messages must be a non-empty array")
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or m.get("role") not in _ROLES:
                raise bad_request(f"messages[{i}].role must be one of {sorted(_ROLES)}")
            content = m.get("content")
            if not (content is None or isinstance(content, str | list)):
                raise bad_request(f"messages[{i}].content must be a string, an array of parts or null")
        tools = body.get("tools")
        if tools is not None and not (isinstance(tools, list) and all(
                isinstance(t, dict) and isinstance(t.get("function"), dict) for t in tools)):
            raise bad_request("tools must be an array of {type: function, function: {name, parameters}}")
        fmt = body.get("response_format") or {}
        if not isinstance(fmt, dict) or fmt.get("type", "text") not in ("text", "json_object", "json_schema"):
            raise bad_request("response_format.type must be text, json_object or json_schema")
        _sampling(body)
        prompt = chat_prompt_tokens(messages, tools)
        max_tokens = self._max_tokens(body, model, prompt)
        self._funds()
        result = ChatResult(id=self._new_id("chatcmpl"), created=int(self.state.now()), model=model.id,
                            prompt_tokens=prompt)
        call = tool_call_for(messages, tools, body.get("tool_choice"))
        for index in range(int(body.get("n") or 1)):
            if call is not None:
                name, args = call
                calls = [{"id": f"call_{self.state.new_id():012x}", "type": "function",
                          "function": {"name": name, "arguments": json.dumps(args)}}]
                result.choices.append(Choice(index, None, "tool_calls", calls))
                continue
            text = answer_text(messages, model.id)
            if fmt.get("type") == "json_object":
                text = json_answer(text, model.id)
            elif fmt.get("type") == "json_schema":
                schema = (fmt.get("json_schema") or {}).get("schema") or {}
                hint = text_of(messages[-1].get("content"))
                text = json.dumps(schema_instance(schema, hint, answer=text), ensure_ascii=False)
            content, finish = finish_text(text, max_tokens, body.get("stop"))
            result.choices.append(Choice(index, content, finish))
        charge_tokens(self.state, model, prompt, result.completion_tokens, owner_id=owner_id)
        return result

    async def completions(self, request: Request) -> Response:
        body = await read_json(request)
        result = self.run_completion(body)
        if body.get("stream"):
            events = [{**{k: result[k] for k in ("id", "object", "created", "model")},
                       "choices": [c]} for c in result["choices"]]
            if _include_usage(body):
                events.append({**{k: result[k] for k in ("id", "object", "created", "model")}, "choices": [],
                               "usage": result["usage"]})
            return sse_response(events)
        return JSONResponse(result)

    def run_completion(self, body: Mapping[str, Any], *, owner_id: str = "") -> dict[str, Any]:
        model = self.model_for(body, "completions")
        raw = body.get("prompt")
        prompts: list[str]
        if isinstance(raw, str):
            prompts = [raw]
        elif isinstance(raw, list) and raw and all(isinstance(p, str) for p in raw):
            prompts = list(raw)
        elif isinstance(raw, list) and raw and all(isinstance(p, int) for p in raw):
            prompts = [" ".join(map(str, raw))]
        else:
            raise bad_request("prompt must be a string, an array of strings or an array of token ids")
        _sampling(body)
        prompt_tokens = sum(count_tokens(p) for p in prompts)
        longest = max(count_tokens(p) for p in prompts)
        max_tokens = self._max_tokens(body, model, longest)
        self._funds()
        choices: list[dict[str, Any]] = []
        completion_tokens = 0
        for p in prompts:
            for _ in range(int(body.get("n") or 1)):
                text = " " + answer_text([{"role": "user", "content": p}], model.id)
                text, finish = finish_text(text, max_tokens, body.get("stop"))
                completion_tokens += count_tokens(text)
                choices.append({"index": len(choices), "text": text, "finish_reason": finish, "logprobs": None})
        charge_tokens(self.state, model, prompt_tokens, completion_tokens, owner_id=owner_id)
        return {"id": self._new_id("cmpl"), "object": "text_completion", "created": int(self.state.now()),
                "model": model.id, "choices": choices,
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                          "total_tokens": prompt_tokens + completion_tokens}}

    async def embeddings(self, request: Request) -> JSONResponse:
        body = await read_json(request)
        model = self.model_for(body, "embeddings")
        raw = body.get("input")
        inputs = [raw] if isinstance(raw, str) else raw
        if not isinstance(inputs, list) or not inputs or len(inputs) > 2048:
            raise bad_request("input must be a string or an array of 1 to 2048 strings")
        texts = [x if isinstance(x, str) else " ".join(map(str, x)) if isinstance(x, list) else None for x in inputs]
        if any(t is None for t in texts):
            raise bad_request("every input must be a string (or an array of token ids)")
        fmt = body.get("encoding_format") or "float"
        if fmt not in ("float", "base64"):
            raise bad_request("encoding_format must be float or base64")
        counts = [count_tokens(t or "") for t in texts]
        for i, n in enumerate(counts):
            if n > model.context_size:
                raise SandboxError("llm", "TOKEN_LIMIT_EXCEEDED", f"input[{i}] has {n} tokens; {model.id} reads at "
                                   f"most {model.context_size}")
        self._funds()
        data = []
        for i, text in enumerate(texts):
            vector = embedding_vector(model.id, text or "", model.dimensions)
            value: Any = vector if fmt == "float" else base64.b64encode(
                struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"index": i, "object": "embedding", "embedding": value})
        total = sum(counts)
        charge_tokens(self.state, model, total, 0)
        return JSONResponse({"object": "list", "data": data, "model": model.id,
                             "usage": {"prompt_tokens": total, "total_tokens": total}})

    async def rerank(self, request: Request) -> JSONResponse:
        body = await read_json(request)
        model = self.model_for(body, "rerank")
        query, documents = body.get("query"), body.get("documents")
        if not isinstance(query, str) or not query:
            raise bad_request("query must be a non-empty string")
        if not isinstance(documents, list) or not documents or len(documents) > 1000 or not all(
                isinstance(d, str) for d in documents):
            raise bad_request("documents must be an array of 1 to 1000 strings")
        top_n = body.get("top_n")
        if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1):
            raise bad_request("top_n must be a positive integer")
        q = count_tokens(query)
        for i, doc in enumerate(documents):
            if q + count_tokens(doc) > model.context_size:
                raise SandboxError("llm", "TOKEN_LIMIT_EXCEEDED", f"query + documents[{i}] exceed the context of "
                                   f"{model.id} ({model.context_size} tokens)")
        self._funds()
        scored = sorted(((relevance(query, d), i) for i, d in enumerate(documents)), key=lambda s: (-s[0], s[1]))
        results = [{"index": i, "relevance_score": score, "document": {"text": documents[i]}}
                   for score, i in scored[: top_n or len(documents)]]
        tokens = rerank_tokens(query, documents)
        charge_tokens(self.state, model, tokens, 0)
        return JSONResponse({"id": self._new_id("rerank"), "model": model.id, "results": results,
                             "usage": {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens}})

