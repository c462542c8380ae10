"""The sandbox's LLM catalogue: the models ``GET /openai/v1/models`` lists (Novita docs: model-apis-llm-list-models).

Prices are in Novita's unit, 0.0001 USD per million tokens (3900 = $0.39/M). Only the
llama-3.3-70b price is documented (3900/3900); the others are estimates in the range of
Novita's public price page, kept in this one table. Clients and tools never read this
table: they quote from the prices the models endpoint returns.

Open choices (the page leaves them open), made here once:
* ``features`` values: ``function-calling``, ``structured-outputs``, ``reasoning``, ``vision``,
  ``embedding``, ``rerank``;
* ``model_type``: ``chat`` | ``embedding`` | ``rerank``; ``status`` 1 = available;
* ``endpoints`` lists the API paths (below ``/v1``) a model serves;
* the list response carries ``object: "list"`` as OpenAI clients expect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ModelSpec", "CATALOGUE", "find_model", "model_json"]

_CHAT_ENDPOINTS = ("chat/completions", "completions")


@dataclass(frozen=True)
class ModelSpec:
    id: str
    title: str
    description: str
    context_size: int
    max_output_tokens: int
    input_price: int  # 0.0001 USD per 1M input tokens
    output_price: int  # 0.0001 USD per 1M output tokens
    features: tuple[str, ...] = ()
    input_modalities: tuple[str, ...] = ("text",)
    model_type: str = "chat"
    created: int = 1733560109
    tags: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = _CHAT_ENDPOINTS
    dimensions: int = 0  # embedding models: vector size (not an API field)
    cache_read_price: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _chat(id: str, title: str, description: str, ctx: int, max_out: int, price_in: int, price_out: int,
          *features: str, created: int, vision: bool = False, cache: int | None = None) -> ModelSpec:
    return ModelSpec(id=id, title=title, description=description, context_size=ctx, max_output_tokens=max_out,
                     input_price=price_in, output_price=price_out, features=features, created=created,
                     input_modalities=("text", "image") if vision else ("text",), cache_read_price=cache)


CATALOGUE: tuple[ModelSpec, ...] = (
    _chat("meta-llama/llama-3.3-70b-instruct", "Llama 3.3 70B Instruct",
          "Meta's multilingual 70B instruction-tuned model, strong at dialogue and tool use.",
          131072, 16384, 3900, 3900, "function-calling", created=1733560109),
    _chat("meta-llama/llama-3.1-8b-instruct", "Llama 3.1 8B Instruct",
          "A small, fast Llama model for simple chat and classification.",
          16384, 16384, 200, 500, created=1721692800),
    _chat("deepseek/deepseek-v3.2", "DeepSeek V3.2",
          "DeepSeek's general model with sparse attention; hybrid thinking.",
          163840, 65536, 2690, 4000, "function-calling", "structured-outputs", "reasoning",
          created=1759190400, cache=1345),
    _chat("deepseek/deepseek-r1-0528", "DeepSeek R1 0528",
          "A reasoning model that thinks before it answers; slower and pricier.",
          163840, 32768, 7000, 25000, "reasoning", "function-calling", created=1748390400, cache=3500),
    _chat("qwen/qwen3-235b-a22b-instruct-2507", "Qwen3 235B A22B Instruct 2507",
          "Alibaba's large mixture-of-experts instruct model with long context.",
          131072, 16384, 900, 5800, "function-calling", "structured-outputs", created=1753142400),
    _chat("qwen/qwen3-8b-fp8", "Qwen3 8B",
          "A small Qwen3 model, cheap for drafts and extraction.",
          128000, 20000, 350, 1380, "reasoning", created=1745884800),
    _chat("qwen/qwen3-coder-480b-a35b-instruct", "Qwen3 Coder 480B A35B",
          "Qwen's agentic coding model with a 256K context.",
          262144, 65536, 2900, 12000, "function-calling", "structured-outputs", created=1753228800),
    _chat("moonshotai/kimi-k2.5", "Kimi K2.5",
          "Moonshot's multimodal agentic model with long context; premium pricing.",
          262144, 65536, 6000, 30000, "function-calling", "structured-outputs", "reasoning", "vision",
          created=1769472000, vision=True, cache=1000),
    _chat("zai-org/glm-4.5", "GLM-4.5",
          "Zhipu's agent-oriented model with hybrid thinking.",
          131072, 98304, 6000, 22000, "function-calling", "reasoning", created=1753660800, cache=1100),
    _chat("openai/gpt-oss-120b", "gpt-oss-120b",
          "OpenAI's open-weight 120B reasoning model.",
          131072, 32768, 1000, 5000, "function-calling", "structured-outputs", "reasoning", created=1754352000),
    _chat("mistralai/mistral-nemo", "Mistral Nemo",
          "A 12B multilingual model from Mistral and NVIDIA.",
          60288, 16000, 400, 1700, created=1721260800),
    _chat("google/gemma-3-27b-it", "Gemma 3 27B",
          "Google's open multimodal model; reads images.",
          98304, 16384, 1190, 2000, "vision", created=1741737600, vision=True),
    ModelSpec(id="baai/bge-m3", title="BGE-M3", description="Multilingual embedding model, 1024 dimensions.",
              context_size=8192, max_output_tokens=0, input_price=100, output_price=0, features=("embedding",),
              model_type="embedding", created=1706745600, endpoints=("embeddings",), dimensions=1024),
    ModelSpec(id="qwen/qwen3-embedding-8b", title="Qwen3 Embedding 8B",
              description="Qwen3 text embedding model, 4096 dimensions.", context_size=32768,
              max_output_tokens=0, input_price=700, output_price=0, features=("embedding",),
              model_type="embedding", created=1749513600, endpoints=("embeddings",), dimensions=4096),
    ModelSpec(id="baai/bge-reranker-v2-m3", title="BGE Reranker v2 M3",
              description="Multilingual cross-encoder reranker.", context_size=8000, max_output_tokens=0,
              input_price=100, output_price=0, features=("rerank",), model_type="rerank", created=1710288000,
              endpoints=("rerank",)),
)

_BY_ID = {m.id: m for m in CATALOGUE}


def find_model(model_id: str) -> ModelSpec | None:
    return _BY_ID.get(model_id)


def model_json(m: ModelSpec) -> dict[str, Any]:
    """One model object in the shape of the list-models page (prices as integers in 0.0001 USD per 1M tokens)."""
    pricing: dict[str, Any] = {"prompt": {"price_per_m": m.input_price},
                               "completion": {"price_per_m": m.output_price}}
    if m.cache_read_price is not None:
        pricing["input_cache_read"] = {"price_per_m": m.cache_read_price}
    return {
        "id": m.id, "object": "model", "created": m.created, "title": m.title, "display_name": m.title,
        "description": m.description, "context_size": m.context_size, "max_output_tokens": m.max_output_tokens,
        "input_token_price_per_m": m.input_price, "output_token_price_per_m": m.output_price,
        "features": list(m.features), "input_modalities": list(m.input_modalities), "output_modalities":
        ["embedding"] if m.model_type == "embedding" else ["text"], "model_type": m.model_type, "status": 1,
        "tags": list(m.tags), "endpoints": list(m.endpoints), "pricing": pricing, "owned_by": m.id.split("/")[0],
    }
