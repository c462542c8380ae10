"""Toolset ``batch``: run many LLM requests as one batch (REFERENCE.md §4.6).

``create_batch`` is billable. Its quote is computed on the server from the input lines, each
checked as Novita checks it before anything is uploaded (``_batch_lines``): for each request,
its prompt tokens (``novita_mcp.client.llm_tokens``) at the model's input price plus, for every
answer it asks for (``n`` per prompt, each prompt of a list), its ``max_tokens`` (without one, the
most the model writes in one answer) at the output price, from the models list. Requests are
charged as they finish, for the tokens really generated.
``cancel_batch`` is destructive: requests not yet run are dropped.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from novita_mcp import ids
from novita_mcp.client.errors import NovitaError
from novita_mcp.client.llm_batch import Batch
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
    shown_id,
    tool,
    usd,
)
from novita_mcp.tools._common import MaxWait, Page, page
from novita_mcp.tools._media_io import load_bytes
from novita_mcp.tools._polling import wait_until
from novita_mcp.tools.batch.lines import ENDPOINTS, MAX_LINES, Kind, Line, parse_lines, quote_lines

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_BATCH_LINES",
    "create_batch",
    "get_batch",
    "list_batches",
    "get_batch_results",
    "cancel_batch",
]

MAX_BATCH_BYTES = 5 * 1024 * 1024
MAX_BATCH_LINES = MAX_LINES
MAX_RESULT_BYTES = 20 * 1024 * 1024
SNIPPET_CHARS = 1000
KIND_OF: dict[str, Kind] = {path: kind for kind, path in ENDPOINTS.items()}
BatchId = ids.BatchId


class BatchView(BaseModel):
    id: str
    status: str = Field(description="VALIDATING | PROGRESS | COMPLETED | FAILED | EXPIRED | CANCELLING | CANCELLED")
    endpoint: str
    total: int
    completed: int
    failed: int
    created_at: str
    expires_at: str
    output_file_id: str
    error_file_id: str
    errors: str = Field(description="Why the batch failed, when it did.")


def _view(b: Batch) -> BatchView:
    c = b.request_counts
    return BatchView(id=b.id, status=b.status, endpoint=b.endpoint, total=c.total, completed=c.completed,
                     failed=c.failed, created_at=b.created_at, expires_at=b.expires_at, output_file_id=b.output_file_id,
                     error_file_id=b.error_file_id, errors="" if b.errors in (None, "") else str(b.errors))


def _line_text(b: BatchView) -> str:
    return f"{b.id}: {b.status}, {b.completed}/{b.total} done, {b.failed} failed"


# --- create --------------------------------------------------------------------------------
async def _read_input(ctx: Context, args: dict[str, Any]) -> bytes | None:
    sources = [k for k in ("jsonl", "path", "input_file_id") if args.get(k)]
    if len(sources) != 1:
        raise ToolError("Give exactly one of jsonl (the lines as text), path (a local .jsonl file) or "
                        "input_file_id (an uploaded file). Nothing was sent.")
    if args.get("jsonl"):
        data = args["jsonl"].encode()
    elif args.get("path"):
        # The same path policy as every other local input: over HTTP only under NOVITA_MCP_FILES_DIR.
        data = await load_bytes(ctx, args["path"], "path", MAX_BATCH_BYTES)
    else:
        return None
    if len(data) > MAX_BATCH_BYTES:
        raise ToolError(f"The input is {len(data):,} bytes; at most {MAX_BATCH_BYTES:,}. Nothing was sent.")
    return data


def _lines(data: bytes, endpoint: str) -> list[Line]:
    """Checked requests (``_batch_lines``); lines may omit ``method`` and ``url``, which are filled in."""
    return parse_lines(data, KIND_OF[endpoint])


async def _quote(app: Services, lines: list[Line], kind: Kind) -> tuple[Decimal, int, int]:
    """(USD, prompt tokens, most output tokens) of checked lines; see ``_batch_lines`` for the rules."""
    quote = await quote_lines(app, lines, kind)
    return quote.usd, quote.prompt_tokens, quote.output_tokens


async def _load(ctx: Context, app: Services, args: dict[str, Any]) -> list[Line]:
    endpoint = ENDPOINTS[args.get("endpoint") or "chat"]
    data = await _read_input(ctx, args)
    if data is None:
        file_id = args["input_file_id"]
        data = await app.client.llm.batch.file_content(file_id, max_bytes=MAX_BATCH_BYTES)
    return _lines(data, endpoint)


async def plan_create_batch(app: Services, ctx: Context, jsonl: str = "", path: str | None = None,
                            input_file_id: str | None = None, endpoint: Kind = "chat") -> Plan:
    """Facts for the body: the checked lines and their quote, so the input is read and priced once."""
    lines = await _load(ctx, app, {"jsonl": jsonl, "path": path, "input_file_id": input_file_id, "endpoint": endpoint})
    amount, prompt, out = await _quote(app, lines, endpoint)
    source = shown_id(input_file_id) if input_file_id else shown(path) if path else "the given JSONL text"
    return Plan(action=f"Run a batch of {len(lines):,} {endpoint} request(s) (48 h window)", target=source,
                quote=Quote(amount, f"{prompt:,} prompt tokens + up to {out:,} output tokens over {len(lines):,} "
                            "request(s), each at its model's per-token prices; charged per request as it finishes"),
                facts=(lines, amount), check="list_batches()")


class CreatedBatch(BaseModel):
    batch: BatchView
    input_file_id: str
    quoted_usd: Decimal


@tool(title="Create an LLM batch", effects={Effect.BILLABLE}, plan=plan_create_batch)
async def create_batch(
    ctx: Context,
    # Plain ``str``: the SDK would parse a one-line JSONL given as ``str | None`` into an object.
    jsonl: Annotated[str, Field(max_length=MAX_BATCH_BYTES, description=(
        'JSON lines, one request each: {"custom_id": "r1", "body": {"model": ..., "messages": [...], '
        '"max_tokens": 200}} (method and url may be left out).'))] = "",
    path: Annotated[str | None, Field(max_length=1000, description="Or: a local .jsonl file (at most 5 MB).")] = None,
    input_file_id: Annotated[ids.FileId | None, Field(description="Or: an already uploaded file id.")] = None,
    endpoint: Annotated[Literal["chat", "completions"], Field(description="What every line calls.")] = "chat",
    *,
    run: Run,
) -> Reply[CreatedBatch]:
    """Run many chat (or completion) requests as one asynchronous batch, finished within 48 hours.

    The input is uploaded, then the batch is created; follow it with get_batch and read answers with
    get_batch_results. Billable: quoted from every line's tokens and max_tokens.
    """
    app = services(ctx)
    lines, quoted = run.plan.facts
    file_id = input_file_id
    if file_id is None:
        content = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()
        file_id = (await app.client.llm.batch.upload_file(Path(path).name if path else "batch_input.jsonl",
                                                          content)).id
    try:
        batch = await app.client.llm.batch.create(file_id, ENDPOINTS[endpoint])
    except NovitaError as exc:
        if input_file_id is None:  # the upload worked: hand its id back so nothing is uploaded twice
            exc.message += (f" The input was uploaded as file {file_id}; to retry, call create_batch with "
                            f'{{"input_file_id": "{file_id}"}} (check list_batches first if the batch may exist).')
        raise
    view = _view(batch)
    text = (f"Batch {view.id} created ({view.status}) with {len(lines):,} request(s); quoted at most {usd(quoted)}. "
            "Check it with get_batch.")
    return Reply(CreatedBatch(batch=view, input_file_id=file_id, quoted_usd=quoted), text, resource_id=view.id)


# --- read -----------------------------------------------------------------------------------
@tool(title="Get an LLM batch", effects={Effect.READ})
async def get_batch(ctx: Context, batch_id: BatchId, max_wait_seconds: MaxWait = 0) -> Reply[BatchView]:
    """A batch's status and counts; optionally wait (bounded) until it finishes."""
    api = services(ctx).client.llm.batch
    batch, finished = await wait_until(ctx, fetch=lambda: api.get(batch_id), done=lambda b: b.finished,
                                       describe=lambda b: _line_text(_view(b)), max_wait=max_wait_seconds)
    view = _view(batch)
    more = "" if finished else " - still running; call get_batch again later."
    return Reply(view, _line_text(view) + more)


class BatchList(BaseModel):
    batches: list[BatchView]
    has_more: bool
    next_after: str | None = Field(description="Pass as after for the next page.")


@tool(title="List LLM batches", effects={Effect.READ})
async def list_batches(
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=100, description="Most batches to return.")] = 20,
    after: Annotated[str | None, Field(max_length=100, description="A previous page's next_after.")] = None,
) -> Reply[BatchList]:
    """Batches, newest first, with status and counts."""
    pg = await services(ctx).client.llm.batch.list(limit=limit, after=after)
    views = [_view(b) for b in pg.data]
    text = "\n".join([f"{len(views)} batch(es)."] + [f"- {_line_text(v)}" for v in views])
    return Reply(BatchList(batches=views, has_more=pg.has_more, next_after=pg.last_id if pg.has_more else None), text)


class ResultLine(BaseModel):
    custom_id: str
    ok: bool
    status_code: int | None = None
    content: str = Field(description=f"The answer (first {SNIPPET_CHARS} characters).")
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None


class BatchResults(BaseModel):
    batch_id: str
    status: str
    file_id: str
    results: list[ResultLine]
    page: Page


def _result_line(row: dict[str, Any]) -> ResultLine:
    response, error = row.get("response") or {}, row.get("error")
    body = response.get("body") or {}
    choice = (body.get("choices") or [{}])[0]
    text = (choice.get("message") or {}).get("content") or choice.get("text") or ""
    usage = body.get("usage") or {}
    err = f"{error.get('code')}: {error.get('message')}" if isinstance(error, dict) else (str(error) if error else None)
    return ResultLine(custom_id=str(row.get("custom_id", "")), ok=err is None, status_code=response.get("status_code"),
                      content=str(text)[:SNIPPET_CHARS], finish_reason=choice.get("finish_reason"),
                      prompt_tokens=int(usage.get("prompt_tokens") or 0),
                      completion_tokens=int(usage.get("completion_tokens") or 0), error=err)


@tool(title="Get LLM batch results", effects={Effect.READ})
async def get_batch_results(
    ctx: Context,
    batch_id: BatchId,
    which: Annotated[Literal["output", "errors"], Field(
        description="Answers, or the requests that failed.")] = "output",
    limit: Annotated[int, Field(ge=1, le=100, description="Most results to return.")] = 20,
    offset: Annotated[int, Field(ge=0, le=100_000, description="Results to skip (a previous next_offset).")] = 0,
) -> Reply[BatchResults]:
    """The answers of a finished (or cancelled) batch, by custom_id, paginated."""
    api = services(ctx).client.llm.batch
    batch = await api.get(batch_id)
    file_id = batch.output_file_id if which == "output" else batch.error_file_id
    if not file_id:
        state = "has not finished yet" if not batch.finished else f"has no {which} file"
        raise ToolError(f"Batch {batch_id} ({batch.status}) {state}; check get_batch.")
    raw = await api.file_content(file_id, max_bytes=MAX_RESULT_BYTES)
    rows = [json.loads(x) for x in raw.decode("utf-8", "replace").splitlines() if x.strip()]
    chunk, pg = page([_result_line(r) for r in rows], offset, limit)
    data = BatchResults(batch_id=batch_id, status=batch.status, file_id=file_id, results=chunk, page=pg)
    lines = [f"{pg.total} {which} line(s) of batch {batch_id}; showing {pg.returned}."]
    lines += [f"- {r.custom_id}: {(r.content or r.error or '')[:100]!r}" for r in chunk[:10]]
    return Reply(data, "\n".join(lines))


# --- cancel ---------------------------------------------------------------------------------
async def plan_cancel_batch(app: Services, batch_id: str) -> Plan:
    batch = await app.client.llm.batch.get(batch_id)
    if batch.finished or batch.status == "CANCELLING":
        raise ToolError(f"Batch {batch_id} is {batch.status}; there is nothing to cancel.")
    c = batch.request_counts
    left = c.total - c.completed - c.failed
    return Plan(action=f"Cancel batch {shown_id(batch_id)} ({shown(batch.status)}, {c.completed}/{c.total} done)",
                target=shown_id(batch_id),
                irreversible=f"the {left} request(s) not yet run are dropped and cannot be resumed; finished ones "
                             "stay billed", check=f"get_batch(batch_id='{batch_id}')")


@tool(title="Cancel an LLM batch", effects={Effect.DESTRUCTIVE}, plan=plan_cancel_batch)
async def cancel_batch(ctx: Context, batch_id: BatchId) -> Reply[BatchView]:
    """Stop a running batch: requests not yet run are dropped; answers so far stay readable."""
    view = _view(await services(ctx).client.llm.batch.cancel(batch_id))
    return Reply(view, f"Cancelling: {_line_text(view)}.", resource_id=view.id)
