"""A ``wss run`` without the gateway still answers ``/metrics``, ``/health`` and ``/ready``
on ``WSS_METRICS_PORT``; its logs are JSON lines on stderr while stdout keeps the human
per-tick status line."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.fixtures.wss_cli import spawn, wait_until, wss_env
from wss.natsserver import free_port

pytestmark = [pytest.mark.timeout(120), pytest.mark.usefixtures("no_orphaned_server")]


def test_a_run_without_gateway_serves_metrics_health_and_ready(tmp_path: Path) -> None:
    port = free_port()
    env = wss_env(tmp_path, WSS_METRICS_PORT=str(port), LOG_LEVEL="INFO")
    run = spawn(tmp_path, "run", "--no-gateway", "--tick-ms", "50", env=env)
    try:
        season = run.expect(r"season (\S+) created")[1]
        wait_until(lambda: run.ticks() >= 5, what="five ticks")
        base = f"http://127.0.0.1:{port}"
        scraped = httpx.get(f"{base}/metrics", trust_env=False)
        health = httpx.get(f"{base}/health", trust_env=False)
        ready = httpx.get(f"{base}/ready", trust_env=False)
        run.proc.send_signal(signal.SIGTERM)
        assert run.wait(60) == 0, run.err()
    finally:
        run.kill()
    found = {
        s.name: s.value
        for family in text_string_to_metric_families(scraped.text)
        for s in family.samples
        if not s.labels
    }
    # The engine's own world is the source: at least the ticks printed before the scrape.
    assert found["wallstreetsim_tick_current"] >= 4
    assert found["wallstreetsim_tick_duration_seconds_count"] >= 5
    assert found["wallstreetsim_agents_total"] > 0
    assert found["wallstreetsim_orders_pending"] > 0
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    ticks = [line for line in run.out().splitlines() if line.startswith("tick ")]
    assert all(re.match(r"tick +\d+  \d{4}-\d\d-\d\d \d\d:\d\d  trades", t) for t in ticks)
    logged = [json.loads(line) for line in run.err().splitlines() if line.startswith("{")]
    assert logged, run.err()
    assert all({"service", "season", "tick", "level", "msg"} <= set(line) for line in logged)
    assert any(line["season"] == season for line in logged)
