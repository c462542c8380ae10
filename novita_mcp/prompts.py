"""Prompts for the common jobs: each one a short plan in the user's words, naming the tools to use.

The server enforces budgets and approvals whatever a prompt says; the prompts only save an agent
from working the steps out (and remind it to tear down what it started).
"""

from __future__ import annotations

from typing import Any

__all__ = ["register_prompts"]


def deploy_model_on_gpu(model: str, gpu: str = "RTX 4090", max_usd_per_hour: str = "1.00") -> str:
    return (
        f"Deploy {model} on a Novita GPU ({gpu} or similar), use it, and tear it down.\n"
        f"1. list_gpu_products(gpu_name='{gpu}') and pick the cheapest available product at or below "
        f"${max_usd_per_hour}/hour; if none, tell me the cheapest alternatives and stop.\n"
        "2. list_templates(name=...) for a serving image that fits the model (for example vLLM); otherwise use an "
        "image_url I confirm.\n"
        "3. create_instance with that product and template; show me the quote and wait for my approval.\n"
        "4. wait_for_instance(target='running'), then get_instance for the public URL of the serving port.\n"
        "5. When I say I am done: stop_instance (or delete_instance if I want nothing kept), then get_spend_now "
        "to show that nothing is left running.")


def generate_image_within_budget(prompt: str, budget_usd: str = "0.05") -> str:
    return (
        f"Make an image of: {prompt}\n"
        "Use generate_image. "
        f"Spend at most ${budget_usd} in all. Start with the cheapest suitable model (flux-1-schnell costs about "
        "$0.003 per 1024x1024 image); the tool quotes each call before it runs - if a quote would take the total "
        "over the budget, ask me first. Show me the result (the preview and the link). Do not retry beyond the "
        "budget; if a result is not good, suggest a changed prompt instead.")


def what_am_i_spending() -> str:
    return (
        "What am I spending on Novita right now?\n"
        "1. get_spend_now: what runs and costs per hour, subscriptions, storage.\n"
        "2. get_balance: what is left.\n"
        "3. list_usage_bills(category='summary') for the last 7 days: where the money went.\n"
        "Answer in a few lines: the hourly burn now, the biggest costs this week, and anything running that "
        "I may have forgotten (offer to stop it, but do not stop anything without my approval).")


_PROMPTS: list[tuple[Any, str, str]] = [
    (deploy_model_on_gpu, "Deploy a model on a GPU", "Find a GPU within a price, start a serving instance, "
     "and tear it down afterwards."),
    (generate_image_within_budget, "Generate an image within a budget", "Generate an image without exceeding "
     "a spending limit."),
    (what_am_i_spending, "What am I spending now", "What is costing money right now, the balance, and this "
     "week's biggest costs."),
]


def register_prompts(server: Any) -> None:
    for fn, title, description in _PROMPTS:
        server.prompt(name=fn.__name__, title=title, description=description)(fn)
