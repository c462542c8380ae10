"""The async Novita client: one namespace per domain over one shared HTTP core.

>>> client = NovitaClient.from_settings(settings)      # doctest: +SKIP
>>> await client.account.balance()                      # doctest: +SKIP

Domains are created lazily, and their modules (the response models) imported then, so
importing the client - or any module of this package - stays cheap.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import httpx
from pydantic import SecretStr

from novita_mcp.client._http import HTTPCore
from novita_mcp.client._retry import RetryPolicy
from novita_mcp.client.errors import *  # noqa: F403 - the hierarchy is part of this package's surface
from novita_mcp.client.errors import __all__ as _errors_all

if TYPE_CHECKING:
    from novita_mcp.client.account import AccountAPI
    from novita_mcp.client.dedicated import DedicatedAPI
    from novita_mcp.client.gpu import GpuAPI
    from novita_mcp.client.llm import LLMAPI
    from novita_mcp.client.media import MediaAPI
    from novita_mcp.client.network import NetworkAPI
    from novita_mcp.client.serverless import ServerlessAPI
    from novita_mcp.client.training import TrainingAPI
    from novita_mcp.settings import Settings

__all__ = ["NovitaClient", "RetryPolicy", *_errors_all]


class NovitaClient:
    """Async client for the Novita API. Use ``async with`` or call ``aclose()``."""

    def __init__(
        self,
        *,
        api_key: SecretStr | str | None,
        base_url: str = "https://api.novita.ai",
        dedicated_base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        key = SecretStr(api_key) if isinstance(api_key, str) else api_key
        self.base_url = base_url.rstrip("/")
        self.dedicated_base_url = (dedicated_base_url or base_url).rstrip("/")
        self.http = HTTPCore(
            base_url=self.base_url,
            api_key=key,
            transport=transport,
            timeout=timeout,
            retry=retry,
            extra_origins=(self.dedicated_base_url,),
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None, retry: RetryPolicy | None = None
    ) -> NovitaClient:
        return cls(
            api_key=settings.api_key,
            base_url=settings.base_url,
            dedicated_base_url=settings.resolved_dedicated_base_url,
            transport=transport,
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.write_timeout,
                pool=settings.pool_timeout,
            ),
            retry=retry or RetryPolicy(settings.max_retries),
        )

    def __repr__(self) -> str:
        return f"NovitaClient(base_url={self.base_url!r})"

    @cached_property
    def account(self) -> AccountAPI:
        from novita_mcp.client.account import AccountAPI

        return AccountAPI(self.http)

    @cached_property
    def llm(self) -> LLMAPI:
        from novita_mcp.client.llm import LLMAPI

        return LLMAPI(self.http)

    @cached_property
    def media(self) -> MediaAPI:
        from novita_mcp.client.media import MediaAPI

        return MediaAPI(self.http)

    @cached_property
    def gpu(self) -> GpuAPI:
        from novita_mcp.client.gpu import GpuAPI

        return GpuAPI(self.http)

    @cached_property
    def serverless(self) -> ServerlessAPI:
        from novita_mcp.client.serverless import ServerlessAPI, async_base_url

        return ServerlessAPI(self.http, async_base=async_base_url(self.base_url))

    @cached_property
    def dedicated(self) -> DedicatedAPI:
        from novita_mcp.client.dedicated import DedicatedAPI

        return DedicatedAPI(self.http, base_url=self.dedicated_base_url)

    @cached_property
    def network(self) -> NetworkAPI:
        from novita_mcp.client.network import NetworkAPI

        return NetworkAPI(self.http)

    @cached_property
    def training(self) -> TrainingAPI:
        from novita_mcp.client.training import TrainingAPI

        return TrainingAPI(self.http)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> NovitaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
