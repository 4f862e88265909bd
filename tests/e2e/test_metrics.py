"""``GET /metrics`` after a few ticks of a real season: every seed metric is there, with
the value the season's own state says it must have."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.client import WssClient
from tests.e2e.gateway_env import eventually, gateway_env, http_client

pytestmark = pytest.mark.timeout(60)

SEED_METRICS = (
    "wallstreetsim_tick_current",
    "wallstreetsim_tick_duration_seconds",
    "wallstreetsim_agents_total",
    "wallstreetsim_agents_active",
    "wallstreetsim_agents_bankrupt",
    "wallstreetsim_agents_imprisoned",
    "wallstreetsim_trades",  # a counter: exposed as wallstreetsim_trades_total
    "wallstreetsim_trades_volume_usd",
    "wallstreetsim_orders_pending",
    "wallstreetsim_market_cap_total",
    "wallstreetsim_ws_connections",
    "wallstreetsim_api_requests",  # wallstreetsim_api_requests_total
    "wallstreetsim_api_latency_seconds",
    "wallstreetsim_projection_lag_events",
    "wallstreetsim_webhook_deliveries",
)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found[(name, frozenset(labels.items()))]


async def test_metrics_show_the_season_after_a_few_ticks(nats_url: str, tmp_path: Path) -> None:
    async with gateway_env(nats_url, tmp_path, tick_ms=50) as env, WssClient(env.url) as wss:
        live = env.gateway.deps.live
        assert live is not None
        me = await wss.register("metrics-bot", "hedge_fund_manager")
        await eventually(
            lambda: asyncio.sleep(0, live.tick >= 5 and live.world.next_trade_id > 1), timeout=20
        )
        async with (
            http_client(env) as http,
            http.stream("GET", "/api/v1/stream?channels=tick") as sse,
        ):
            assert sse.status_code == 200
            await eventually(lambda: asyncio.sleep(0, live.tick >= 6))
            env.stop_engine.set()
            result = await asyncio.wait_for(env.engine_task, 10)
            await eventually(lambda: asyncio.sleep(0, live.tick == result.tick))
            listed = (await http.get("/api/v1/agents?limit=500")).json()["agents"]
            scraped = await http.get("/metrics")
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")
        families = {f.name for f in text_string_to_metric_families(scraped.text)}
        assert set(SEED_METRICS) <= families, set(SEED_METRICS) - families
        found = samples(scraped.text)
        world = live.world

        assert value(found, "wallstreetsim_tick_current") == result.tick
        # Every tick the engine ran, genesis included, was timed.
        assert value(found, "wallstreetsim_tick_duration_seconds_count") == result.tick + 1
        assert value(found, "wallstreetsim_tick_duration_seconds_sum") > 0
        builtin = sum(a["builtin"] for a in listed)
        assert me["agent_id"] in {a["agent_id"] for a in listed}
        assert value(found, "wallstreetsim_agents_total") == builtin + 1 == len(listed)
        active = value(found, "wallstreetsim_agents_active")
        assert 0 < active <= len(listed)
        assert value(found, "wallstreetsim_agents_bankrupt") >= 0
        assert value(found, "wallstreetsim_agents_imprisoned") == 0  # no crooks in this season
        assert value(found, "wallstreetsim_trades_total") == world.next_trade_id - 1 > 0
        assert value(found, "wallstreetsim_trades_volume_usd") > 0
        assert value(found, "wallstreetsim_orders_pending") == len(world.orders) > 0
        cap = sum(c.last_price * c.shares_outstanding for c in world.companies.values()) / 100
        assert value(found, "wallstreetsim_market_cap_total") == pytest.approx(cap)
        assert value(found, "wallstreetsim_ws_connections") == 1  # the stream still open
        register = value(
            found,
            "wallstreetsim_api_requests_total",
            route="/api/v1/auth/register",
            method="POST",
            status="201",
        )
        assert register == 1
        listing = value(
            found,
            "wallstreetsim_api_requests_total",
            route="/api/v1/agents",
            method="GET",
            status="200",
        )
        assert listing == 1
        assert value(found, "wallstreetsim_api_latency_seconds_count", route="/api/v1/agents") == 1
        # Agent ids never become label values: the route template does.
        assert me["agent_id"] not in scraped.text
        lag = value(found, "wallstreetsim_projection_lag_events", projection="relational")
        assert lag >= 0


async def test_health_answers_on_the_gateway(nats_url: str, tmp_path: Path) -> None:
    async with gateway_env(nats_url, tmp_path, tick_ms=100) as env, http_client(env) as http:
        health = await http.get("/health")
        ready = await http.get("/ready")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200


def test_metrics_server_of_a_process_without_gateway() -> None:
    from projections.health import ReadHealth  # noqa: PLC0415
    from wss.metrics import Metrics, serve_metrics  # noqa: PLC0415

    health = ReadHealth()
    metrics = Metrics(health=health)
    metrics.projection_progress("relational", 40, 100)
    server = serve_metrics(metrics, 0)
    try:
        base = f"http://127.0.0.1:{server.port}"
        scraped = httpx.get(f"{base}/metrics", trust_env=False)
        assert 'wallstreetsim_projection_lag_events{projection="relational"} 60.0' in scraped.text
        assert httpx.get(f"{base}/health", trust_env=False).json() == {"status": "ok"}
        assert httpx.get(f"{base}/ready", trust_env=False).status_code == 200
        health.failed("relational", RuntimeError("store down"))
        not_ready = httpx.get(f"{base}/ready", trust_env=False)
        assert not_ready.status_code == 503
        assert "store down" in not_ready.json()["detail"]
    finally:
        server.close()
