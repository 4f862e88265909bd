"""A NATS outage seen through the gateway: a real nats-server, stopped and restarted.

Requests that need the log answer 503 with Retry-After while it is out, and the outage
is logged once when it starts and once when it ends, not per request."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest

from tests.e2e.gateway_env import Env, eventually, http_client, settled_env
from wss.natsserver import EmbeddedNats

pytestmark = pytest.mark.timeout(90)

V1 = "/api/v1"
RUMOR = {"type": "RUMOR", "symbol": "AAAA", "content": "the lights are out"}
REQUESTS = 20


async def _register(http: httpx.AsyncClient, name: str) -> dict[str, str]:
    r = await http.post(f"{V1}/auth/register", json={"name": name, "role": "quant"})
    assert r.status_code in (201, 202), r.text
    return {"Authorization": f"Bearer {r.json()['api_key']}"}


def _gateway_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    # Request handling only: the background consumers (projection, SSE hub, live world)
    # have their own retry logs.
    return [r for r in caplog.records if r.name in ("gateway.outage", "gateway.errors")]


async def test_nats_outage_answers_503_and_logs_once_each_way(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    server = EmbeddedNats(tmp_path / "nats").start()
    try:
        async with (
            settled_env(
                server.url,
                tmp_path,
                reconnect_attempts=120,  # outlives the outage
                register_wait_seconds=0.05,
                webhooks_enabled=False,
                actions_per_tick=1000,
                orders_per_minute=1000,
                messages_per_minute=1000,
            ) as env,
            http_client(env) as http,
        ):
            auth = await _register(http, "before")
            r = await http.post(f"{V1}/actions", json=RUMOR, headers=auth)
            assert r.status_code == 202, r.text
            before = await _outage_answers(env, http, server, auth)
            assert before, "no request met the outage"
            records = _gateway_records(caplog)
            assert [r.getMessage().split(" (")[0] for r in records] == ["NATS is unreachable"]
            assert records[0].exc_info is None

            await asyncio.to_thread(server.start)

            async def acts_again() -> bool:
                r = await http.post(f"{V1}/actions", json=RUMOR, headers=auth)
                return r.status_code == 202

            await eventually(acts_again, timeout=30, every=0.2)
            messages = [r.getMessage() for r in _gateway_records(caplog)]
            assert len(messages) == 2, messages
            assert messages[1].startswith("NATS is reachable again after"), messages
            assert all(r.levelno < logging.ERROR for r in _gateway_records(caplog))
            assert (await http.get(f"{V1}/seasons")).status_code == 200
            await _register(http, "after")  # the name refused during the outage is free
    finally:
        server.stop()


async def _outage_answers(
    env: Env, http: httpx.AsyncClient, server: EmbeddedNats, auth: dict[str, str]
) -> int:
    """Stop the server, then send requests that need it; all must be 503."""
    await asyncio.to_thread(server.stop)
    await eventually(lambda: _disconnected(env))
    answers = [await http.post(f"{V1}/actions", json=RUMOR, headers=auth) for _ in range(REQUESTS)]
    answers.append(await http.post(f"{V1}/auth/register", json={"name": "after", "role": "quant"}))
    answers.append(await http.get(f"{V1}/seasons"))
    for r in answers:
        assert r.status_code == 503, r.text
        assert r.json()["error"] == "log_unavailable"
        assert int(r.headers["retry-after"]) > 0
    return len(answers)


async def _disconnected(env: Env) -> bool:
    return not env.nc.is_connected
