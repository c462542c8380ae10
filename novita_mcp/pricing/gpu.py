"""GPU pricing facts that the API does not return as fields (REFERENCE.md §9), in one place.

Product prices (GPU ``price``/``spotPrice``/``monthlyPrice``, CPU ``price``) come from the
products endpoints and are never copied here. What lives here are the published storage
rates, which no endpoint reports; the tools quote from these and the sandbox charges by
them, so a quote and the sandbox's bill cannot drift apart.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = [
    "ACTIVE_STATUSES",
    "DAYS_PER_MONTH",
    "FREE_ROOTFS_GB",
    "NETWORK_STORAGE_USD_PER_GB_DAY",
    "PRODUCT_PRICE_PER_USD",
    "ROOTFS_USD_PER_GB_DAY",
    "extra_rootfs_usd_per_hour",
    "hourly_usd",
    "network_storage_usd_per_month",
    "product_price_usd",
]

# Product prices are integers in 1/100000 USD per hour (35000 -> $0.35/h). Only the
# unofficial novita-sdk states this unit (REFERENCE.md §11 open question 2); change it here.
PRODUCT_PRICE_PER_USD = Decimal(100_000)

# Container (root) disk: the first 60 GB are free, the rest costs $0.005 per GB per day.
FREE_ROOTFS_GB = 60
ROOTFS_USD_PER_GB_DAY = Decimal("0.005")
# Network (cloud) storage volume: $0.002 per GB per day.
NETWORK_STORAGE_USD_PER_GB_DAY = Decimal("0.002")
# A subscription "month" is 30 days (our choice; the docs do not say).
DAYS_PER_MONTH = 30


def product_price_usd(raw: int | str | Decimal) -> Decimal:
    """A product price field (1/100000 USD) in dollars; a price that is not a non-negative number
    is a ``ValueError`` (read as 0 it would make the product look free)."""
    try:
        value = Decimal(str(raw or 0))
    except ArithmeticError:
        raise ValueError(f"not a price: {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"not a price: {raw!r}")
    return value / PRODUCT_PRICE_PER_USD


# Statuses in which a pay-as-you-go instance is charged, or is about to be without a new decision.
ACTIVE_STATUSES = frozenset({"toCreate", "creating", "pulling", "running", "toStart", "starting", "toRestart",
                             "restarting", "toReset", "resetting", "migrating"})


def hourly_usd(price_field: int, units: int, rootfs_gb: int) -> Decimal:
    """What a pay-as-you-go instance costs per hour of pulling/running: price x units + extra disk."""
    return product_price_usd(price_field) * units + extra_rootfs_usd_per_hour(rootfs_gb)


def extra_rootfs_usd_per_hour(rootfs_gb: int) -> Decimal:
    """What the container disk above the free allowance costs per hour of running."""
    if rootfs_gb < 0:
        raise ValueError(f"a negative disk size ({rootfs_gb} GB) cannot be priced")
    extra = max(0, rootfs_gb - FREE_ROOTFS_GB)
    return Decimal(extra) * ROOTFS_USD_PER_GB_DAY / 24


def network_storage_usd_per_month(size_gb: int) -> Decimal:
    if size_gb < 0:
        raise ValueError(f"a negative volume size ({size_gb} GB) cannot be priced")
    return Decimal(size_gb) * NETWORK_STORAGE_USD_PER_GB_DAY * DAYS_PER_MONTH
