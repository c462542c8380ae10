"""Prices the API does not publish, in ONE table shared by the quotes and the sandbox.

Serverless workers are priced from the GPU product list (``/gpu-instance/openapi/v1/products``,
``price`` in 1/100 000 USD per GPU-hour), so they are not here. Two prices are not returned by
any captured endpoint (REFERENCE.md §8.3, §5.20, §9):

* dedicated endpoints: USD per active GPU-hour by ``gpu_type``, billed per whole active
  GPU-minute (start-up and shutdown excluded);
* LoRA training: USD per training step, charged once when the task is created.

These are estimates. When Novita publishes a price (or an endpoint that returns it), change it
here: the tools' quotes and the sandbox's charges follow together, so they can never disagree.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = [
    "DEDICATED_GPU_HOUR_USD",
    "DEDICATED_GPU_TYPES",
    "dedicated_hourly_usd",
    "TRAINING_USD_PER_STEP",
    "TRAINING_DEFAULT_STEPS",
    "training_usd",
]

# Estimated USD per GPU-hour of an active dedicated-endpoint replica, by the §8.3 gpu_type name.
# (Multiples of $0.60, so a GPU-minute is a whole number of 0.0001-USD units.)
DEDICATED_GPU_HOUR_USD: dict[str, Decimal] = {
    "gpu-h100-sxm": Decimal("2.40"),
    "gpu-h200-sxm": Decimal("3.60"),
    "gpu-rtx4090": Decimal("0.60"),
}
DEDICATED_GPU_TYPES = tuple(DEDICATED_GPU_HOUR_USD)

# Estimated LoRA training price (style and subject alike): per optimisation step.
TRAINING_USD_PER_STEP = Decimal("0.0004")
# The step count a training runs when expert_setting.max_train_steps is not given.
TRAINING_DEFAULT_STEPS = 1000


def dedicated_hourly_usd(gpu_type: str, gpu_count: int, replicas: int) -> Decimal:
    """USD per hour of ``replicas`` active replicas of ``gpu_count`` GPUs each."""
    if gpu_count < 0 or replicas < 0:
        raise ValueError(f"negative GPUs ({gpu_count}) or replicas ({replicas}) cannot be priced")
    return DEDICATED_GPU_HOUR_USD[gpu_type] * gpu_count * replicas


def training_usd(max_train_steps: int | None) -> Decimal:
    """What one training task costs, charged at creation (unset: the steps a training runs by default)."""
    if max_train_steps is not None and max_train_steps < 0:
        raise ValueError(f"negative training steps ({max_train_steps}) cannot be priced")
    steps = TRAINING_DEFAULT_STEPS if not max_train_steps else max_train_steps
    return TRAINING_USD_PER_STEP * steps
