"""Toolset ``llm``: the model catalogue, chat, embeddings and rerank.

``chat`` is billable: its quote is the prompt's tokens (counted on the server by
``novita_mcp.client.llm_tokens``) at the model's input price plus ``max_tokens`` at its output
price, both from the models list the API returns. The reply reports what the call really cost
(the tokens actually generated), which is at most the quote.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from novita_mcp.client.llm import ChatAccumulator, ChatCompletion, LLMModel
from novita_mcp.client.llm_tokens import chat_prompt_tokens, count_tokens
from novita_mcp.toolkit import (
    Context,
    Effect,
    Plan,
    Quote,
    Reply,
    Run,
    Services,
    services,
    shown,
    tool,
    usd,
)
from novita_mcp.tools._common import MAX_LIMIT, Page, page
from novita_mcp.tools.llm.catalogue import catalogue, per_m, resolve_model

__all__ = [
    "STREAM_ABOVE_TOKENS",
    "DEFAULT_CHAT_MODEL",
    "list_models",
    "chat",
]

DEFAULT_CHAT_MODEL = "meta-llama/llama-3.3-70b-instruct"
STREAM_ABOVE_TOKENS = 256  # longer generations stream, so progress can be reported
PROGRESS_EVERY_TOKENS = 64
MAX_CHAT_TOKENS = 65536
# A long answer is cut in the result (the ~25k-token budget): the structured content holds up to
# MAX_ANSWER_CHARS, the text block up to MAX_TEXT_CHARS; with an output directory the whole answer
# is also saved to a file.
MAX_ANSWER_CHARS = 60_000
MAX_TEXT_CHARS = 8_000
MAX_JSON_CHARS = 20_000  # json_value is parsed (and so duplicated) only for answers up to this size

Feature = Literal["function-calling", "structured-outputs", "reasoning", "vision", "embedding", "rerank"]
Kind = Literal["chat", "embedding", "rerank"]


class ModelInfo(BaseModel):
    id: str
    title: str
    kind: str = Field(description="chat | embedding | rerank")
    context_size: int = Field(description="Tokens the model reads (prompt plus answer).")
    max_output_tokens: int
    input_usd_per_m: Decimal = Field(description="USD per million input tokens.")
    output_usd_per_m: Decimal = Field(description="USD per million output tokens.")
    features: list[str]


class ModelList(BaseModel):
    models: list[ModelInfo]
    page: Page


def _info(m: LLMModel) -> ModelInfo:
    return ModelInfo(id=m.id, title=m.title or m.id, kind=m.kind, context_size=m.context_size,
                     max_output_tokens=m.max_output_tokens, input_usd_per_m=m.input_usd_per_m,
                     output_usd_per_m=m.output_usd_per_m, features=list(m.features))


@tool(title="List LLM models and prices", effects={Effect.READ})
async def list_models(
    ctx: Context,
    search: Annotated[str | None, Field(description="In id, title or description, e.g. 'llama'.",
                                        max_length=100)] = None,
    kind: Kind | None = None,
    feature: Feature | None = None,
    max_input_usd_per_m: Annotated[float | None, Field(ge=0, le=1000)] = None,
    max_output_usd_per_m: Annotated[float | None, Field(ge=0, le=1000)] = None,
    min_context: Annotated[int | None, Field(ge=0, le=10_000_000)] = None,
    sort_by: Annotated[Literal["price", "context", "name"], Field(description="price: cheapest first.")] = "price",
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Field(ge=0, le=10_000)] = 0,
) -> Reply[ModelList]:
    """Novita's LLM, embedding and rerank models: context size, USD per million tokens."""
    models = await catalogue(services(ctx))
    needle = (search or "").lower()
    picked = [m for m in models
              if (not needle or needle in f"{m.id} {m.title} {m.description}".lower())
              and (kind is None or m.kind == kind)
              and (feature is None or feature in m.features)
              and (max_input_usd_per_m is None or m.input_usd_per_m <= Decimal(str(max_input_usd_per_m)))
              and (max_output_usd_per_m is None or m.output_usd_per_m <= Decimal(str(max_output_usd_per_m)))
              and (min_context is None or m.context_size >= min_context)]
    if sort_by == "price":
        picked.sort(key=lambda m: (m.input_usd_per_m + m.output_usd_per_m, m.id))
    elif sort_by == "context":
        picked.sort(key=lambda m: (-m.context_size, m.id))
    else:
        picked.sort(key=lambda m: m.id)
    chunk, pg = page([_info(m) for m in picked], offset, limit)
    lines = [f"{pg.total} model(s) match; showing {pg.returned}."]
    lines += [f"- {m.id} ({m.kind}, {m.context_size:,} ctx): in {per_m(m.input_usd_per_m)}, out "
              f"{per_m(m.output_usd_per_m)}" for m in chunk]
    if pg.next_offset is not None:
        lines.append(f"(more: offset={pg.next_offset})")
    return Reply(ModelList(models=chunk, page=pg), "\n".join(lines))


class MessageArg(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=200_000)


class ChatUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatAnswer(BaseModel):
    model: str
    content: str = Field(description=f"The model's answer (its first {MAX_ANSWER_CHARS:,} characters).")
    truncated: bool = Field(False, description="True when the answer was longer than what is shown here.")
    saved_to: str | None = Field(None, description="File holding the whole answer (when an output dir is set).")
    finish_reason: str = Field(description="stop (complete) | length (cut at max_tokens) | tool_calls")
    json_value: Any = Field(None, description="With json_mode: the answer parsed as JSON (null if it did not parse).")
    usage: ChatUsage
    cost_usd: Decimal = Field(description="What this call actually cost (0 on a dedicated endpoint, billed by time).")
    streamed: bool = Field(description="True when the answer was streamed (long generations).")


def _messages(args: dict[str, Any]) -> list[dict[str, str]]:
    prompt, messages, system = args.get("prompt") or None, args.get("messages"), args.get("system")
    if (prompt is None) == (not messages):
        raise ToolError("Give either prompt (one user message) or messages (a conversation), not both and not "
                        "neither. Nothing was sent.")
    out: list[dict[str, str]] = [{"role": "system", "content": system}] if system else []
    if prompt is not None:
        out.append({"role": "user", "content": prompt})
    else:
        out += [{"role": m["role"], "content": m["content"]} for m in messages or []]
    if out[-1]["role"] == "assistant":
        raise ToolError("The last message must be from the user (or a system prompt), not the assistant.")
    return out


async def _chat_model(app: Services, args: dict[str, Any]) -> tuple[LLMModel, list[dict[str, str]], int]:
    """The checked model, the messages and the prompt's tokens; a ToolError before anything is sent."""
    messages = _messages(args)
    model = await resolve_model(app, args["model"], "chat")
    max_tokens = int(args["max_tokens"])
    if model.max_output_tokens and max_tokens > model.max_output_tokens:
        raise ToolError(f"max_tokens {max_tokens} is above {model.id}'s limit of {model.max_output_tokens}. "
                        "Nothing was sent.")
    prompt_tokens = chat_prompt_tokens(messages)
    if model.context_size and prompt_tokens + max_tokens > model.context_size:
        raise ToolError(f"The prompt (~{prompt_tokens:,} tokens) plus max_tokens ({max_tokens:,}) exceed "
                        f"{model.id}'s context of {model.context_size:,} tokens; shorten the prompt, lower "
                        "max_tokens or pick a longer-context model. Nothing was sent.")
    return model, messages, prompt_tokens


async def plan_chat(app: Services, prompt: str = "", messages: list[MessageArg] | None = None, system: str = "",
                    model: str = DEFAULT_CHAT_MODEL, max_tokens: int = 1024, dedicated: bool = False) -> Plan:
    """Facts for the body: (the priced model or None on a dedicated endpoint, the messages to send)."""
    args = {"prompt": prompt, "messages": [m.model_dump() for m in messages] if messages else None,
            "system": system, "model": model, "max_tokens": max_tokens}
    if dedicated:
        msgs = _messages(args)
        base = app.settings.resolved_dedicated_base_url
        return Plan(action=f"Chat completion on dedicated endpoint {shown(model)} (up to {max_tokens} tokens)",
                    target=f"{base}/v1/chat/completions, routing key {shown(model)}",
                    quote=Quote(Decimal(0), "dedicated endpoints are billed per GPU-minute while they run, not per "
                                "token; this call adds no token charge"), facts=(None, msgs))
    spec, msgs, prompt_tokens = await _chat_model(app, args)
    quote = spec.cost_usd(prompt_tokens, max_tokens)
    basis = (f"{prompt_tokens:,} prompt tokens x {per_m(spec.input_usd_per_m)} + up to {max_tokens:,} output "
             f"tokens x {per_m(spec.output_usd_per_m)}; the charge counts only the tokens generated")
    return Plan(action=f"Chat completion with {shown(spec.id)} (up to {max_tokens:,} output tokens)",
                target=shown(spec.id), quote=Quote(quote, basis), facts=(spec, msgs),
                check="list_bills for today's LLM charges")


async def _generate(ctx: Context, model: str, messages: list[dict[str, str]], max_tokens: int,
                    options: dict[str, Any], base_url: str | None) -> tuple[ChatCompletion, bool]:
    client = services(ctx).client.llm
    if max_tokens <= STREAM_ABOVE_TOKENS:
        return await client.chat(model, messages, max_tokens=max_tokens, base_url=base_url, **options), False
    acc = ChatAccumulator()
    reported = 0
    await ctx.report_progress(0, max_tokens, f"{model}: generating")
    async for chunk in client.chat_stream(model, messages, max_tokens=max_tokens, base_url=base_url, **options):
        acc.add(chunk)
        done = count_tokens(acc.content)
        if done - reported >= PROGRESS_EVERY_TOKENS:
            reported = done
            await ctx.report_progress(min(done, max_tokens), max_tokens, f"{model}: {done} tokens so far")
    await ctx.report_progress(max_tokens, max_tokens, f"{model}: done")
    return acc.result(), True


@tool(title="Chat with an LLM", effects={Effect.BILLABLE}, plan=plan_chat)
async def chat(
    ctx: Context,
    # Free text is typed plain ``str`` (not ``str | None``): the SDK would otherwise parse a
    # prompt that happens to be JSON into an object.
    prompt: Annotated[str, Field(description="One user message, or use messages.", max_length=200_000)] = "",
    messages: Annotated[list[MessageArg] | None, Field(max_length=100)] = None,
    system: Annotated[str, Field(max_length=20_000)] = "",
    model: Annotated[str, Field(description="From list_models.", min_length=1, max_length=200)] = DEFAULT_CHAT_MODEL,
    max_tokens: Annotated[int, Field(ge=1, le=MAX_CHAT_TOKENS, description="Quoted as if all are used.")] = 1024,
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None,
    json_mode: Annotated[bool, Field(description="Answer a JSON object.")] = False,
    dedicated: Annotated[bool, Field(description=(
        "model is a dedicated endpoint's routing key."))] = False,
    *,
    run: Run,
) -> Reply[ChatAnswer]:
    """Ask a Novita LLM: its answer, finish reason, token usage and actual cost in USD."""
    app = services(ctx)
    spec, msgs = run.plan.facts
    options: dict[str, Any] = {}
    if temperature is not None:
        options["temperature"] = temperature
    if json_mode:
        options["response_format"] = {"type": "json_object"}
    base_url = app.settings.resolved_dedicated_base_url if dedicated else None
    result, streamed = await _generate(ctx, model, msgs, max_tokens, options, base_url)
    content = result.message.content or ""
    usage = result.usage
    prompt_tokens = usage.prompt_tokens if usage else chat_prompt_tokens(msgs)
    completion_tokens = usage.completion_tokens if usage else count_tokens(content)
    cost = spec.cost_usd(prompt_tokens, completion_tokens) if spec else Decimal(0)
    parsed: Any = None
    if json_mode and len(content) <= MAX_JSON_CHARS:
        try:
            parsed = json.loads(content)
        except ValueError:
            parsed = None
    saved = None
    if len(content) > MAX_ANSWER_CHARS and app.settings.output_dir is not None:
        app.settings.output_dir.mkdir(parents=True, exist_ok=True)
        path = app.settings.output_dir / f"chat-{result.id or int(app.guard.clock())}.txt"
        path.write_text(content, encoding="utf-8")
        saved = str(path)
    finish = result.finish_reason or "stop"
    data = ChatAnswer(model=result.model or model, content=content[:MAX_ANSWER_CHARS],
                      truncated=len(content) > MAX_ANSWER_CHARS, saved_to=saved, finish_reason=finish,
                      json_value=parsed, usage=ChatUsage(prompt_tokens=prompt_tokens,
                                                         completion_tokens=completion_tokens,
                                                         total_tokens=prompt_tokens + completion_tokens),
                      cost_usd=cost, streamed=streamed)
    notes = [f"{model}, finish {finish}, {prompt_tokens:,} + {completion_tokens:,} tokens, cost {usd(cost)}"]
    if finish == "length":
        notes.append("cut at max_tokens: raise max_tokens for a longer answer")
    if json_mode and parsed is None:
        notes.append("the answer is not valid JSON" if len(content) <= MAX_JSON_CHARS else "answer too long to parse")
    visible = content
    if len(content) > MAX_TEXT_CHARS:
        visible = content[:MAX_TEXT_CHARS] + "…"
        notes.append(f"showing {MAX_TEXT_CHARS:,} of {len(content):,} characters" +
                     (f"; whole answer in {saved}" if saved else "; more in the structured result"))
    return Reply(data, f"{visible}\n\n[{'; '.join(notes)}]", charged_usd=cost)
