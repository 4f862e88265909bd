"""The gateway inside ``wss run``: the read models of the run's own projections."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from gateway.deps import GatewaySettings, load_server_secret
from gateway.runtime import RunningGateway, running_gateway
from gateway.serve import GatewayBindError
from projections.analytics.client import connect as connect_analytics
from projections.health import ReadHealth
from wss.analyticsattach import AnalyticsAttachment
from wss.errors import WssError
from wss.gctuning import tune_gc_for_serving
from wss.metrics import Metrics
from wss.seasonlog import SeasonLog
from wss.settings import Settings
from wss.stores import relational_url, store_label


@contextlib.asynccontextmanager
async def serve_gateway(
    log: SeasonLog,
    settings: Settings,
    *,
    host: str,
    port: int,
    analytics: bool = True,
    health: ReadHealth | None = None,
    metrics: Metrics | None = None,
) -> AsyncIterator[RunningGateway]:
    """``analytics``: answer /market/history from ClickHouse/chDB (the same process's chDB
    when embedded: chDB serves one data directory per process)."""
    gateway_settings = GatewaySettings(webhook_secret=load_server_secret(settings.home))
    attachment = AnalyticsAttachment(
        lambda: connect_analytics(settings.clickhouse_url, home=settings.home),
        store_label("analytics", settings),
    )
    try:
        async with _served(
            log,
            host=host,
            port=port,
            settings=gateway_settings,
            database=relational_url(settings),
            project=False,  # the read side of `wss run` (or `wss project --run`) fills it
            health=health,
            metrics=metrics,
        ) as gateway:
            if analytics:
                await attachment.attach(gateway.deps)
            yield gateway
    finally:
        await attachment.close()


@contextlib.asynccontextmanager
async def _served(log: SeasonLog, **options: Any) -> AsyncIterator[RunningGateway]:
    """``running_gateway`` with a bind failure turned into one clear line."""
    entered = False
    try:
        async with running_gateway(log, **options) as gateway:
            entered = True
            tune_gc_for_serving()  # set up: from here on, the loop's pauses are its p99
            yield gateway
    except GatewayBindError as error:
        if entered:
            raise
        where = f"{options['host']}:{options['port']}"
        raise WssError(
            f"cannot serve the gateway on {where} (in use?): pass --port N or --no-gateway"
        ) from error
