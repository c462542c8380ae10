"""``MediaCore``: the media domain's state and the helpers its endpoint modules share.

The endpoint modules (``media_image``, ``media_vision``, ``media_video``, ``media_audio``)
take a ``MediaCore``; ``media.MediaDomain`` adds their routes. Kept apart so that the
endpoint modules and the domain that wires them never import each other.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from novita_mcp.pricing.media import price_usd, to_units
from novita_mcp.sandbox.errors import json_object
from novita_mcp.sandbox.media_common import Extra
from novita_mcp.sandbox.media_files import IMAGE_TTL, MediaFiles
from novita_mcp.sandbox.media_models import ModelCatalogue
from novita_mcp.sandbox.media_tasks import TaskStore
from novita_mcp.sandbox.state import SandboxState

__all__ = ["MediaCore"]


class MediaCore:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.files = MediaFiles(state)
        self.tasks = TaskStore(state)
        self.models = ModelCatalogue()
        # Whether this account has a dedicated image endpoint, so extra.enterprise_plan may
        # route to it (then the call is covered by the subscription, not charged per call).
        self.enterprise_plan_active = False

    @staticmethod
    async def body(request: Request) -> dict[str, Any]:
        return await json_object(request, "media")

    @staticmethod
    def base_url(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    @staticmethod
    def pick_seed(value: int | None) -> int:
        return secrets.randbelow(2**31) if value is None or value < 0 else value

    def units(self, product: str, extra: Extra | None = None, **quantities: Any) -> Decimal:
        """The charge for one request in 0.0001-USD units (zero when a dedicated endpoint serves it).

        ``extra.enterprise_plan.enabled`` "only takes effect for users who have already
        subscribed" (the docs): without a subscription it is accepted and ignored, and the
        call is served and charged like any other.
        """
        if extra is not None and extra.enterprise and self.enterprise_plan_active:
            return Decimal(0)
        return to_units(price_usd(product, **quantities))

    def charge_now(self, product: str, units: Decimal, quantity: float | int) -> None:
        """Charge a synchronous generation (refused with BILLING_BALANCE_NOT_ENOUGH when short)."""
        if units > 0:
            self.state.charge("media", category="gen_api", product_name=product, amount_units=units,
                              bill_num0=Decimal(str(quantity)), product_id=product)

    def image_list(self, base_url: str, fmt: str, width: int, height: int, count: int, seed: int, *,
                   nsfw: bool = False, ttl: int = IMAGE_TTL) -> list[dict[str, Any]]:
        out = []
        for i in range(count):
            url, _ = self.files.image(fmt, width, height, seed + i, base_url=base_url, ttl=ttl)
            out.append({"image_url": url, "image_url_ttl": str(ttl) if ttl == IMAGE_TTL else ttl, "image_type": fmt,
                        "nsfw_detection_result": {"valid": True, "confidence": 0.98} if nsfw else None})
        return out
