"""The one media price table: FLUX's published formula, the NSFW surcharge, labelled estimates."""

from __future__ import annotations

from decimal import Decimal

from novita_mcp.pricing.media import PRICES, basis, price_usd


def test_flux_matches_the_published_examples_per_image() -> None:
    assert price_usd("flux-1-schnell", width=1024, height=1024, steps=4) == Decimal("0.003")
    assert price_usd("flux-1-schnell", width=512, height=512, steps=4) == Decimal("0.00075")
    assert price_usd("flux-1-schnell", width=512, height=512, steps=4, count=3) == Decimal("0.00225")


def test_nsfw_adds_a_fixed_amount_per_checked_image() -> None:
    assert price_usd("txt2img", count=2, nsfw_images=2) == Decimal("0.0035") * 2 + Decimal("0.0015") * 2


def test_per_second_and_per_character_units() -> None:
    assert price_usd("kling-v2.1-t2v-master", seconds=10) == Decimal("2.80")
    assert price_usd("minimax-speech-02-turbo", chars=500) == Decimal("0.03")


def test_only_flux_is_public_and_every_estimate_says_so() -> None:
    assert [k for k, p in PRICES.items() if p.public] == ["flux-1-schnell"]
    assert "estimate" in basis("qwen-image") and "estimate" not in basis("flux-1-schnell", width=1, height=1, steps=1)


def test_a_negative_quantity_is_refused_never_priced_below_zero() -> None:
    import pytest

    for quantities in ({"count": -1}, {"seconds": -10}, {"chars": -500}, {"width": -1024, "height": 1024, "steps": 4},
                       {"width": 1024, "height": 1024, "steps": -4}, {"nsfw_images": -2}):
        key = "flux-1-schnell" if "width" in quantities else ("kling-v2.1-t2v-master" if "seconds" in quantities else
                                                              "minimax-speech-02-turbo" if "chars" in quantities
                                                              else "txt2img")
        with pytest.raises(ValueError):
            price_usd(key, **quantities)
    # Zero is a real count (Seedream may return no image; nothing is billed for it).
    assert price_usd("seedream-4.0", count=0) == 0
