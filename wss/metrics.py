"""Prometheus metrics of one process, with the seed design's names (``wallstreetsim_*``).

``Metrics`` owns a ``CollectorRegistry`` of its own (never the library's global one), so
several apps built in one process (tests) do not collide. What it exports:

- Counted as it happens (cheap increments on the hot path): API requests by route
  template and status, their latency, tick durations (where the engine runs), webhook
  delivery outcomes.
- Read at scrape time from what the process already holds in memory, never from a
  database: the world folded in this process (``world_source``: the gateway's
  ``LiveWorld``, else the engine's own world), open SSE connections (the hub's
  subscribers), and each projection's lag behind the log (the positions the read side
  reports as it applies batches).

Processes without the gateway (``wss run --no-gateway``, ``wss project --run``) can
serve the same registry with ``/metrics``, ``/health`` and ``/ready`` on
``WSS_METRICS_PORT`` (``serve_metrics``); off by default.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from schemas.enums import AgentStatus

if TYPE_CHECKING:
    from domain.state import World
    from projections.health import ReadHealth
    from wss.engine import TickReport

__all__ = ["Metrics", "WorldSource", "serve_metrics"]

log = logging.getLogger(__name__)

PREFIX = "wallstreetsim"
TICK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class WorldSource(Protocol):
    """Something that holds the season's world in memory (``LiveWorld``, ``Engine``)."""

    @property
    def world(self) -> World: ...

    @property
    def notional_cents(self) -> int:
        """Traded value (price x quantity, cents) folded since this process started."""
        ...


@dataclass(slots=True)
class _Lag:
    position: int
    last_seq: int


@dataclass
class Metrics:
    """One process's metrics. Wire the sources in as the parts start."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    world_source: WorldSource | None = None
    sse_connections: Callable[[], int] | None = None
    head_seq: Callable[[], int] | None = None  # the log's newest event seq known here
    health: ReadHealth | None = None
    _lags: dict[str, _Lag] = field(default_factory=dict)

    def __post_init__(self) -> None:
        r = self.registry
        self.tick_duration = Histogram(
            f"{PREFIX}_tick_duration_seconds",
            "Wall time of one engine tick: decide, append, commit",
            buckets=TICK_BUCKETS,
            registry=r,
        )
        self.api_requests = Counter(
            f"{PREFIX}_api_requests",
            "HTTP requests answered by the gateway, by route template, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.api_latency = Histogram(
            f"{PREFIX}_api_latency_seconds",
            "Time to answer an HTTP request (SSE: the connection's life), by route template",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.webhooks = Counter(
            f"{PREFIX}_webhook_deliveries",
            "Tick webhooks POSTed to agents, by outcome (delivered: a 2xx answer)",
            ["outcome"],
            registry=r,
        )
        r.register(_Scraped(self))

    # -- fed as things happen -------------------------------------------------------------

    def observe_tick(self, report: TickReport) -> None:
        self.tick_duration.observe(report.seconds)

    def observe_webhooks(self, delivered: int, failed: int) -> None:
        if delivered:
            self.webhooks.labels("delivered").inc(delivered)
        if failed:
            self.webhooks.labels("failed").inc(failed)

    def projection_progress(self, name: str, position: int, last_seq: int) -> None:
        """A projection applied a batch up to ``position``; the log ended at ``last_seq``."""
        self._lags[name] = _Lag(position, last_seq)

    def projection_observer(self, name: str) -> Callable[[int, int], None]:
        return lambda position, last_seq: self.projection_progress(name, position, last_seq)

    def exposition(self) -> bytes:
        from prometheus_client import generate_latest  # noqa: PLC0415

        return generate_latest(self.registry)

    # -- read at scrape time --------------------------------------------------------------

    def collect(self) -> Iterator[Metric]:
        yield from self._world_metrics()
        if self.sse_connections is not None:
            yield _gauge("ws_connections", "Open SSE stream connections", self.sse_connections())
        lag = GaugeMetricFamily(
            f"{PREFIX}_projection_lag_events",
            "Events on the log that a projection has not applied yet",
            labels=["projection"],
        )
        head = self.head_seq() if self.head_seq is not None else 0
        for name, known in sorted(self._lags.items()):
            lag.add_metric([name], max(head, known.last_seq) - known.position)
        yield lag
        if self.health is not None:
            failing = GaugeMetricFamily(
                f"{PREFIX}_read_side_failing",
                "Read-side tasks failing right now (1 each; see /ready)",
                labels=["task"],
            )
            for name in sorted(self.health.failures):
                failing.add_metric([name], 1)
            yield failing

    def _world_metrics(self) -> Iterable[Metric]:
        source = self.world_source
        if source is None:
            return
        world = source.world
        # list() copies in one step under the GIL: a scrape from the metrics server's
        # thread never iterates a dict the event loop is changing.
        accounts = list(world.accounts.values())
        counts = dict.fromkeys(AgentStatus, 0)
        for account in accounts:
            counts[account.status] += 1
        companies = list(world.companies.values())
        cap = sum(c.last_price * c.shares_outstanding for c in companies)
        yield _gauge("tick_current", "The last closed tick of the season", world.tick)
        yield _gauge("agents_total", "Agents in the season, built-in and registered", len(accounts))
        yield _gauge("agents_active", "Agents that may trade", counts[AgentStatus.ACTIVE])
        yield _gauge("agents_bankrupt", "Bankrupt agents", counts[AgentStatus.BANKRUPT])
        yield _gauge("agents_imprisoned", "Agents in prison", counts[AgentStatus.IMPRISONED])
        yield CounterMetricFamily(
            f"{PREFIX}_trades",
            "Trades executed in the season",
            value=world.next_trade_id - 1,
        )
        yield _gauge(
            "trades_volume_usd",
            "Value traded (price x quantity, USD) since this process started",
            source.notional_cents / 100,
        )
        yield _gauge("orders_pending", "Open orders resting on the books", len(world.orders))
        yield _gauge("market_cap_total", "Sum of listed companies' market caps, USD", cap / 100)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


class _Scraped(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return list(self.metrics.collect())

    def describe(self) -> Iterable[Metric]:
        return []  # read at scrape time: nothing to check at registration


# -- a small server for processes without the gateway --------------------------------------


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class MetricsServer:
    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def serve_metrics(metrics: Metrics, port: int, host: str = "127.0.0.1") -> MetricsServer:
    """``/metrics``, ``/health`` and ``/ready`` on ``host:port`` from a daemon thread (port
    0: any free one); scrapes never wait for the event loop."""
    exporter = make_wsgi_app(metrics.registry)

    def app(environ: dict[str, Any], start: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return exporter(environ, start)  # type: ignore[no-any-return]
        if path == "/health":
            start("200 OK", [("Content-Type", "application/json")])
            return [b'{"status":"ok"}']
        if path == "/ready":
            failures = dict(metrics.health.failures) if metrics.health is not None else {}
            if not failures:
                start("200 OK", [("Content-Type", "application/json")])
                return [b'{"status":"ready"}']
            detail = "; ".join(f.line() for f in failures.values())
            start("503 Service Unavailable", [("Content-Type", "application/json")])
            return [json.dumps({"status": "not_ready", "detail": detail}).encode()]
        start("404 Not Found", [("Content-Type", "text/plain")])
        return [b"/metrics, /health or /ready\n"]

    server = make_server(host, port, app, server_class=_Server, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="wss-metrics", daemon=True)
    thread.start()
    log.info("metrics on http://%s:%d/metrics", host, server.server_address[1])
    return MetricsServer(server, thread)
