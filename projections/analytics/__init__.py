"""Analytics projection: the event log folded into ClickHouse (chDB when embedded)."""

from projections.analytics.client import AnalyticsClient, ClientFactory, client_factory, connect
from projections.analytics.projection import AnalyticsProjection

__all__ = ["AnalyticsClient", "AnalyticsProjection", "ClientFactory", "client_factory", "connect"]
