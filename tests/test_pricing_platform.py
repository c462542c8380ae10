"""Dedicated-endpoint and LoRA-training prices (estimates kept in one table)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from novita_mcp.pricing.platform import TRAINING_DEFAULT_STEPS, dedicated_hourly_usd, training_usd


def test_dedicated_hours_scale_with_gpus_and_replicas() -> None:
    assert dedicated_hourly_usd("gpu-h100-sxm", 2, 3) == Decimal("2.40") * 6
    assert dedicated_hourly_usd("gpu-rtx4090", 1, 0) == 0  # scaled to zero


def test_an_unset_step_count_is_priced_at_the_default_run_not_at_nothing() -> None:
    assert training_usd(None) == training_usd(0) == training_usd(TRAINING_DEFAULT_STEPS) > 0
    assert training_usd(2000) == 2 * training_usd(1000)


@pytest.mark.parametrize(("gpus", "replicas"), [(-1, 1), (1, -2)])
def test_negative_gpus_or_replicas_are_refused(gpus, replicas) -> None:
    with pytest.raises(ValueError):
        dedicated_hourly_usd("gpu-h100-sxm", gpus, replicas)


def test_negative_training_steps_are_refused() -> None:
    with pytest.raises(ValueError):
        training_usd(-500)
