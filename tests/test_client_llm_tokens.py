"""The shared token rule: what quotes estimate and what the sandbox counts."""

from __future__ import annotations

from novita_mcp.client.llm_tokens import (
    chat_prompt_tokens,
    count_tokens,
    message_tokens,
    rerank_tokens,
    truncate_to_tokens,
)


def test_words_cost_one_token_per_started_four_characters_and_symbols_one_each() -> None:
    assert count_tokens("a") == 1
    assert count_tokens("tokens") == 2
    assert count_tokens("Hello, world!") == 2 + 1 + 2 + 1
    assert count_tokens("   \n\t") == 0
    assert count_tokens("你好") == 2


def test_a_chat_prompt_adds_framing_per_message_and_reply_priming() -> None:
    messages = [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}]
    assert message_tokens(messages[0]) == 4 + 1 + 2
    assert chat_prompt_tokens(messages) == (4 + 3) + (4 + 1) + 2
    with_image = [{"role": "user", "content": [{"type": "text", "text": "Hi"},
                                               {"type": "image_url", "image_url": {"url": "x"}}]}]
    assert chat_prompt_tokens(with_image) == 4 + 1 + 85 + 2


def test_a_reranker_reads_the_query_once_per_document() -> None:
    assert rerank_tokens("red barn", ["a", "bb cc"]) == (2 + 1) + (2 + 2)


def test_truncation_lands_exactly_on_the_limit_even_inside_a_long_word() -> None:
    text, used, cut = truncate_to_tokens("extraordinarily long", 2)
    assert (text, used, cut) == ("extraord", 2, True)
    assert truncate_to_tokens("short one", 10) == ("short one", 3, False)
    assert count_tokens(truncate_to_tokens("a b c d e f", 4)[0]) == 4


def test_completion_prompts_split_a_list_into_its_prompts_and_refuse_other_shapes() -> None:
    import pytest

    from novita_mcp.client.llm_tokens import completion_prompts

    assert completion_prompts("one") == ["one"]
    assert completion_prompts(["a", "b", "c"]) == ["a", "b", "c"]
    (ids,) = completion_prompts([101, 2023, 99999])
    assert count_tokens(ids) >= 3  # at least one token per id
    for bad in ([], [[1, 2]], [1, "a"], {"text": "x"}, None, [True, False]):
        with pytest.raises(ValueError):
            completion_prompts(bad)
