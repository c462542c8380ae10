"""The llm toolset through MCP against the sandbox: models, chat and its guard paths."""

from __future__ import annotations

from decimal import Decimal

import pytest

from novita_mcp.sandbox.state import UNITS_PER_USD
from novita_mcp.server import select_toolsets

from .conftest import connect, elicitation

pytestmark = pytest.mark.anyio

LLAMA = "meta-llama/llama-3.3-70b-instruct"
KIMI = "moonshotai/kimi-k2.5"
CHAT_PATH = "/openai/v1/chat/completions"


def llm_charges(sandbox) -> list:
    return [c for c in sandbox.state.charges if c.category == "llm" and c.at >= sandbox.clock.now()]


async def test_the_llm_toolset_is_on_by_default() -> None:
    assert "llm" in [t.id for t in select_toolsets(None)]


async def test_list_models_filters_sorts_by_price_and_shows_usd_per_million(make_server) -> None:
    async with connect(make_server()) as client:
        cheap = await client.call_tool("list_models", {"kind": "chat", "max_input_usd_per_m": 0.4,
                                                       "sort_by": "price", "limit": 3})
        tools = await client.call_tool("list_models", {"feature": "function-calling", "sort_by": "context"})
        found = await client.call_tool("list_models", {"search": "llama-3.3"})
    models = cheap.structured_content["models"]
    prices = [Decimal(m["input_usd_per_m"]) + Decimal(m["output_usd_per_m"]) for m in models]
    assert prices == sorted(prices) and all(Decimal(m["input_usd_per_m"]) <= Decimal("0.4") for m in models)
    assert cheap.structured_content["page"]["next_offset"] == 3
    contexts = [m["context_size"] for m in tools.structured_content["models"]]
    assert contexts == sorted(contexts, reverse=True)
    (llama,) = found.structured_content["models"]
    assert llama["input_usd_per_m"] == "0.39" and "$0.39/M" in found.content[0].text


async def test_a_cheap_chat_runs_at_once_and_reports_its_actual_cost(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("chat", {"prompt": "Hello there", "max_tokens": 100})
    assert not result.is_error
    assert result.structured_content["status"] == "done"
    answer = result.structured_content["result"]
    assert answer["content"] == f'Sandbox reply from {LLAMA}: you said "Hello there".'
    assert answer["finish_reason"] == "stop" and answer["streamed"] is False
    (charge,) = llm_charges(sandbox)
    assert Decimal(answer["cost_usd"]) == charge.amount_units / UNITS_PER_USD
    assert answer["usage"]["completion_tokens"] == charge.bill_num1
    assert result.content[0].text.startswith("Sandbox reply from")


async def test_the_quote_is_the_charge_when_the_answer_uses_every_token(make_server, sandbox) -> None:
    args = {"prompt": "write 400 words on lakes", "system": "Be vivid.", "max_tokens": 200}
    async with connect(make_server(auto_approve_usd=0)) as client:
        asked = await client.call_tool("chat", args)
        quote = Decimal(asked.structured_content["confirmation"]["cost_usd"])
        done = await client.call_tool("chat", {**args, "confirmation_token":
                                               asked.structured_content["confirmation"]["token"]})
    assert done.structured_content["result"]["finish_reason"] == "length"
    (charge,) = llm_charges(sandbox)
    assert charge.bill_num1 == 200
    assert quote == charge.amount_units / UNITS_PER_USD == Decimal(done.structured_content["result"]["cost_usd"])


async def test_an_expensive_chat_needs_confirmation_then_runs_with_the_token(make_server, sandbox) -> None:
    args = {"prompt": "Hello", "model": KIMI, "max_tokens": 65536}
    async with connect(make_server()) as client:
        asked = await client.call_tool("chat", args)
        assert sandbox.state.requests_to(CHAT_PATH) == []
        view = asked.structured_content["confirmation"]
        assert asked.structured_content["status"] == "confirmation_required"
        assert Decimal(view["cost_usd"]) > Decimal("0.10") and "65,536 output tokens" in view["cost_basis"]
        done = await client.call_tool("chat", {**args, "confirmation_token": view["token"]})
    assert done.structured_content["status"] == "done"
    assert done.structured_content["result"]["streamed"] is True
    (charge,) = llm_charges(sandbox)
    assert charge.amount_units / UNITS_PER_USD < Decimal(view["cost_usd"])


async def test_an_expensive_chat_runs_when_the_user_accepts_the_form(make_server, sandbox) -> None:
    ask = elicitation("accept")
    async with connect(make_server(), elicit=ask) as client:
        done = await client.call_tool("chat", {"prompt": "Hi", "model": KIMI, "max_tokens": 60000})
    assert done.structured_content["status"] == "done"
    assert "moonshotai/kimi-k2.5" in ask.questions[0] and "$" in ask.questions[0]
    assert len(llm_charges(sandbox)) == 1


async def test_a_declined_chat_sends_nothing_and_costs_nothing(make_server, sandbox) -> None:
    before = sandbox.state.balance_units
    async with connect(make_server(), elicit=elicitation("decline")) as client:
        refused = await client.call_tool("chat", {"prompt": "Hi", "model": KIMI, "max_tokens": 60000})
    assert refused.is_error and "declined" in refused.content[0].text
    assert sandbox.state.requests_to(CHAT_PATH) == []
    assert sandbox.state.balance_units == before


async def test_an_unknown_model_names_close_matches_and_sends_no_generation(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("chat", {"prompt": "Hi", "model": "meta-llama/llama-3.3-70b"})
    assert result.is_error
    assert LLAMA in result.content[0].text and "Nothing was sent" in result.content[0].text
    assert sandbox.state.requests_to(CHAT_PATH) == []


async def test_a_prompt_over_the_context_is_refused_before_sending(make_server, sandbox) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("chat", {"prompt": "word " * 20000, "max_tokens": 1000,
                                                 "model": "meta-llama/llama-3.1-8b-instruct"})
    assert result.is_error and "context of 16,384 tokens" in result.content[0].text
    assert sandbox.state.requests_to(CHAT_PATH) == []


async def test_prompt_and_messages_are_exclusive(make_server) -> None:
    async with connect(make_server()) as client:
        both = await client.call_tool("chat", {"prompt": "a", "messages": [{"role": "user", "content": "b"}]})
        neither = await client.call_tool("chat", {})
    assert both.is_error and neither.is_error and "either prompt" in both.content[0].text


async def test_a_conversation_and_json_mode_give_parsed_json(make_server, sandbox) -> None:
    messages = [{"role": "user", "content": "Name a lake"}, {"role": "assistant", "content": "Tahoe"},
                {"role": "user", "content": "Another, as JSON"}]
    async with connect(make_server()) as client:
        result = await client.call_tool("chat", {"messages": messages, "json_mode": True, "temperature": 0})
    answer = result.structured_content["result"]
    assert answer["json_value"] == {"answer": f'Sandbox reply from {LLAMA}: you said "Another, as JSON".',
                                    "model": LLAMA}
    sent = sandbox.state.requests_to(CHAT_PATH)[-1].body
    assert sent["response_format"] == {"type": "json_object"} and sent["temperature"] == 0


async def test_a_prompt_that_is_itself_json_stays_a_string(make_server) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("chat", {"prompt": '{"task": "summarise"}', "max_tokens": 50})
    assert not result.is_error
    assert '{"task": "summarise"}' in result.structured_content["result"]["content"]


async def test_a_long_generation_streams_and_reports_progress(make_server, sandbox) -> None:
    progress: list[tuple[float, float | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total))

    async with connect(make_server()) as client:
        result = await client.call_tool("chat", {"prompt": "write 900 words about rain", "max_tokens": 2000},
                                        progress_callback=on_progress)
    answer = result.structured_content["result"]
    assert answer["streamed"] is True and answer["usage"]["completion_tokens"] > 900
    assert len(progress) >= 3 and progress[-1] == (2000, 2000)
    assert sandbox.state.requests_to(CHAT_PATH)[-1].body["stream"] is True


async def test_without_balance_the_guard_refuses_before_sending(make_server, sandbox) -> None:
    sandbox.state.balance_units = Decimal(0)
    async with connect(make_server()) as client:
        result = await client.call_tool("chat", {"prompt": "Hi", "max_tokens": 100})
    assert result.is_error and "balance" in result.content[0].text
    assert sandbox.state.requests_to(CHAT_PATH) == []


async def test_a_dedicated_chat_goes_to_the_dedicated_base_with_no_token_quote(make_server, sandbox) -> None:
    async with connect(make_server(auto_approve_usd=0)) as client:
        result = await client.call_tool("chat", {"prompt": "Hi", "model": "org/model:ep-1", "max_tokens": 50,
                                                 "dedicated": True})
    # auto_approve 0 still lets a $0 quote through: dedicated endpoints bill by GPU-minute, not per token
    sent = sandbox.state.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/v1/chat/completions")
    assert sent.body["model"] == "org/model:ep-1"
    assert sandbox.state.requests_to(CHAT_PATH) == []
    assert result.is_error  # no dedicated endpoint has this routing key in the sandbox


async def test_a_dedicated_endpoint_answers_streamed_chat_without_token_charges(make_server, sandbox) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(),
                                 headers={"Authorization": f"Bearer {sandbox.api_key}"}) as http:
        created = await http.post("/v0/dedicated_endpoints", json={
            "name": "mine", "model_name": "Qwen/Qwen3-8B", "flavor_name": "base", "gpu_type": "gpu-rtx4090",
            "gpu_count": 1, "region": "us-central1", "scaling": {"min_replicas": 1, "max_replicas": 1}})
    assert created.status_code == 200, created.text
    key = created.json()["routing_key"]
    sandbox.advance(15 * 60)
    async with connect(make_server()) as client:
        result = await client.call_tool("chat", {"prompt": "Hi there", "model": key, "max_tokens": 300,
                                                 "dedicated": True})
    answer = result.structured_content["result"]
    assert answer["streamed"] is True and "Hi there" in answer["content"]
    assert answer["cost_usd"] == "0" and llm_charges(sandbox) == []
