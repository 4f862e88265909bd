"""The gateway's analytics client, opened without holding up the engine.

chDB serves one data directory per process. An engine that took over from a paused one
(SIGSTOP past its lease) finds chDB still held by the paused process; the season must
run on regardless. So if the store does not open at once, the gateway answers
``/market/history`` from the relational model (its fallback), one line says so, and a
background task retries with backoff until the client can be attached.
"""

import asyncio
import logging
from collections.abc import Callable

from clickhouse_connect.driver.exceptions import Error as ClickHouseError
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from gateway.deps import GatewayDeps
from projections.analytics.client import AnalyticsClient
from projections.base import StoreUnavailable
from projections.health import describe
from wss.aio import cancel_and_wait

log = logging.getLogger(__name__)

RETRY_MIN_SECONDS, RETRY_MAX_SECONDS = 0.5, 10.0
STORE_ERRORS = (StoreUnavailable, ClickHouseError, OSError)  # chDB busy, server down, disk


class AnalyticsAttachment:
    """Attaches an analytics client to ``deps`` now or, if the store is busy, later."""

    def __init__(self, open_client: Callable[[], AnalyticsClient], store: str) -> None:
        self.open_client, self.store = open_client, store
        self.client: AnalyticsClient | None = None
        self._retry: asyncio.Task[None] | None = None

    async def attach(self, deps: GatewayDeps) -> None:
        try:
            self.client = await asyncio.to_thread(self.open_client)  # chDB start-up blocks
        except STORE_ERRORS as error:
            log.warning(
                "analytics store %s unavailable (%s): /market/history answers from the "
                "relational model meanwhile; retrying in the background",
                self.store,
                describe(error),
            )
            self._retry = asyncio.create_task(self._keep_trying(deps))
            return
        deps.analytics = self.client

    async def _keep_trying(self, deps: GatewayDeps) -> None:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(STORE_ERRORS),
            wait=wait_exponential(multiplier=RETRY_MIN_SECONDS, max=RETRY_MAX_SECONDS),
        )
        async for attempt in retrying:
            with attempt:
                self.client = await asyncio.to_thread(self.open_client)
        deps.analytics = self.client
        log.warning("analytics store %s open: /market/history from analytics", self.store)

    async def close(self) -> None:
        if self._retry is not None:
            await cancel_and_wait(self._retry)
        if self.client is not None:
            self.client.close()
            self.client = None
