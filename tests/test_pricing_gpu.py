"""GPU pricing facts: product price units, disk and network storage, and what cannot be priced."""

from __future__ import annotations

from decimal import Decimal

import pytest

from novita_mcp.pricing.gpu import extra_rootfs_usd_per_hour, network_storage_usd_per_month, product_price_usd


def test_product_prices_are_in_hundred_thousandths_of_a_dollar() -> None:
    assert product_price_usd(35000) == Decimal("0.35")
    assert product_price_usd("199000") == Decimal("1.99")
    assert product_price_usd(None) == 0  # a product that lists no price for a billing mode


@pytest.mark.parametrize("raw", [-35000, "-1", "abc", "NaN", "Infinity"])
def test_a_price_that_is_not_a_non_negative_number_is_refused_rather_than_read_as_free(raw) -> None:
    with pytest.raises(ValueError):
        product_price_usd(raw)


def test_disk_above_the_free_allowance_and_network_storage() -> None:
    assert extra_rootfs_usd_per_hour(60) == 0
    assert extra_rootfs_usd_per_hour(84) == Decimal(24) * Decimal("0.005") / 24
    assert network_storage_usd_per_month(100) == Decimal("6.000")


def test_negative_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        extra_rootfs_usd_per_hour(-500)
    with pytest.raises(ValueError):
        network_storage_usd_per_month(-10)
