"""``embed`` and ``rerank`` (toolset ``llm``): billable by input tokens, limits checked first.

Quotes: embed = the inputs' tokens x the model's input price; rerank = (query + document)
tokens for every document x the input price (a reranker reads the query once per document).
Tokens are counted with ``novita_mcp.client.llm_tokens``, prices come from the models list.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Annotated

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from novita_mcp.client.llm_tokens import count_tokens, rerank_tokens
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
from novita_mcp.tools.llm.catalogue import per_m, resolve_model

__all__ = ["embed", "rerank", "MAX_INLINE_FLOATS"]

MAX_INLINE_FLOATS = 4096  # vectors returned inline: at most this many numbers in all
PREVIEW_VALUES = 6
MAX_SIMILARITY_INPUTS = 16


async def plan_embed(app: Services, inputs: list[str], model: str = "baai/bge-m3") -> Plan:
    spec = await resolve_model(app, model, "embedding")
    counts = [count_tokens(t) for t in inputs]
    for i, n in enumerate(counts):
        if spec.context_size and n > spec.context_size:
            raise ToolError(f"inputs[{i}] has ~{n:,} tokens; {spec.id} reads at most {spec.context_size:,}. "
                            "Split it. Nothing was sent.")
    total = sum(counts)
    return Plan(action=f"Embed {len(counts)} text(s) with {shown(spec.id)}", target=shown(spec.id),
                quote=Quote(spec.cost_usd(total), f"{total:,} input tokens x {per_m(spec.input_usd_per_m)}"),
                facts=spec, check="list_bills for today's LLM charges")


class Embedded(BaseModel):
    index: int
    tokens: int
    preview: list[float] = Field(description=f"The first {PREVIEW_VALUES} values of the vector.")
    vector: list[float] | None = Field(None, description="The whole vector, when include_vectors and it fits.")


class EmbedResult(BaseModel):
    model: str
    dimensions: int
    items: list[Embedded]
    cosine_similarity: list[list[float]] | None = Field(
        None, description=f"Pairwise cosine similarity of the inputs (2-{MAX_SIMILARITY_INPUTS} inputs).")
    saved_to: str | None = Field(None, description="JSON file with every full vector (when an output dir is set).")
    prompt_tokens: int
    cost_usd: Decimal


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return round(dot / norm, 4) if norm else 0.0


@tool(title="Embed texts", effects={Effect.BILLABLE}, plan=plan_embed)
async def embed(
    ctx: Context,
    inputs: Annotated[list[Annotated[str, Field(min_length=1, max_length=32_000)]], Field(
        min_length=1, max_length=64)],
    model: Annotated[str, Field(description="list_models kind=embedding.", min_length=1,
                                max_length=200)] = "baai/bge-m3",
    include_vectors: Annotated[bool, Field(description=(
        f"Full vectors inline, up to {MAX_INLINE_FLOATS} numbers."))] = False,
    *,
    run: Run,
) -> Reply[EmbedResult]:
    """Embed texts: pairwise cosine similarity, vector previews, cost."""
    app = services(ctx)
    spec = run.plan.facts
    result = await app.client.llm.embeddings(model, inputs)
    vectors = [item.embedding for item in sorted(result.data, key=lambda d: d.index)]
    dims = len(vectors[0]) if vectors else 0
    budget = MAX_INLINE_FLOATS if include_vectors else 0
    items = []
    for i, vec in enumerate(vectors):
        inline = vec if budget >= len(vec) and include_vectors else None
        budget -= len(vec) if inline is not None else 0
        items.append(Embedded(index=i, tokens=count_tokens(inputs[i]), preview=vec[:PREVIEW_VALUES], vector=inline))
    sims = None
    if 2 <= len(vectors) <= MAX_SIMILARITY_INPUTS:
        sims = [[_cosine(a, b) for b in vectors] for a in vectors]
    saved = None
    if app.settings.output_dir is not None:
        folder = app.settings.output_dir
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"embeddings-{result.model.replace('/', '_') or 'model'}-{int(app.guard.clock())}.json"
        path.write_text(json.dumps({"model": result.model, "vectors": vectors}))
        saved = str(path)
    tokens = result.usage.prompt_tokens if result.usage else sum(i.tokens for i in items)
    cost = spec.cost_usd(tokens)
    data = EmbedResult(model=result.model or model, dimensions=dims, items=items, cosine_similarity=sims,
                       saved_to=saved, prompt_tokens=tokens, cost_usd=cost)
    text = f"{len(items)} vector(s) of {dims} dimensions from {data.model}; {tokens:,} tokens, cost {usd(cost)}."
    if include_vectors and any(i.vector is None for i in items):
        text += f" Only {MAX_INLINE_FLOATS} numbers fit inline; the other vectors are previews."
    if saved:
        text += f" Full vectors saved to {saved}."
    return Reply(data, text, charged_usd=cost)


async def plan_rerank(app: Services, query: str, documents: list[str],
                      model: str = "baai/bge-reranker-v2-m3") -> Plan:
    spec = await resolve_model(app, model, "rerank")
    q = count_tokens(query)
    for i, doc in enumerate(documents):
        if spec.context_size and q + count_tokens(doc) > spec.context_size:
            raise ToolError(f"query + documents[{i}] are ~{q + count_tokens(doc):,} tokens; {spec.id} reads at most "
                            f"{spec.context_size:,} per document. Shorten it. Nothing was sent.")
    total = rerank_tokens(query, documents)
    return Plan(action=f"Rerank {len(documents)} document(s) with {shown(spec.id)}", target=shown(spec.id),
                quote=Quote(spec.cost_usd(total), f"{total:,} input tokens (the query is read once per document) "
                            f"x {per_m(spec.input_usd_per_m)}"), facts=spec,
                check="list_bills for today's LLM charges")


class Ranked(BaseModel):
    index: int = Field(description="Position of the document in the input list.")
    relevance_score: float
    snippet: str = Field(description="The document's first 300 characters.")


class RerankOutput(BaseModel):
    model: str
    results: list[Ranked]
    prompt_tokens: int
    cost_usd: Decimal


@tool(title="Rerank documents", effects={Effect.BILLABLE}, plan=plan_rerank)
async def rerank(
    ctx: Context,
    query: Annotated[str, Field(min_length=1, max_length=4000)],
    documents: Annotated[list[Annotated[str, Field(min_length=1, max_length=20_000)]], Field(
        min_length=1, max_length=100)],
    top_n: Annotated[int, Field(ge=1, le=100)] = 10,
    model: Annotated[str, Field(description="list_models kind=rerank.", min_length=1,
                                max_length=200)] = "baai/bge-reranker-v2-m3",
    *,
    run: Run,
) -> Reply[RerankOutput]:
    """Order documents by relevance to a query, best first, with scores and the cost."""
    app = services(ctx)
    spec = run.plan.facts
    result = await app.client.llm.rerank(model, query, documents, top_n=min(top_n, len(documents)))
    ranked = [Ranked(index=h.index, relevance_score=h.relevance_score, snippet=documents[h.index][:300])
              for h in result.results if 0 <= h.index < len(documents)]
    tokens = result.usage.prompt_tokens if result.usage else rerank_tokens(query, documents)
    cost = spec.cost_usd(tokens)
    lines = [f"{len(ranked)} of {len(documents)} document(s), best first; {tokens:,} tokens, cost {usd(cost)}."]
    lines += [f"{n}. [{r.index}] {r.relevance_score:.3f} {r.snippet[:80]!r}" for n, r in enumerate(ranked[:10], 1)]
    return Reply(RerankOutput(model=model, results=ranked, prompt_tokens=tokens, cost_usd=cost), "\n".join(lines),
                 charged_usd=cost)
