"""The gateway's live world starts from the engine's latest snapshot, not the log's start:
a restarted gateway folds only the events after it, and an agent registered before it
still authenticates and reads its registration, portfolio, open orders and outcomes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from domain.rules.leverage import buying_power
from gateway.auth import hash_key
from gateway.runtime import running_gateway
from projections.relational import queries
from replayer.verify import rebuild
from tests.e2e.gateway_env import CONFIG, TEST_SETTINGS, eventually, gateway_env
from wss.natsserver import free_port
from wss.snapshots import latest_snapshot

pytestmark = pytest.mark.timeout(120)

V1 = "/api/v1"


async def test_live_world_starts_from_the_latest_snapshot(nats_url: str, tmp_path: Path) -> None:
    async with (
        gateway_env(nats_url, tmp_path, tick_ms=50, snapshot_every=3) as env,
        httpx.AsyncClient(base_url=env.url, timeout=10, trust_env=False) as http,
    ):
        live = env.gateway.deps.live
        assert live is not None
        await eventually(lambda: _true(live.world.market_open and live.tick >= 1))
        r = await http.post(f"{V1}/auth/register", json={"name": "early", "role": "quant"})
        assert r.status_code == 201, r.text
        me = r.json()
        key = {"Authorization": f"Bearer {me['api_key']}"}
        symbol, company = next(iter(live.world.companies.items()))
        # Inside the band but far below the market: it rests, holding buying power.
        low = company.last_price * (10_000 - CONFIG.price_band_bps + 100) // 10_000
        order = {"type": "BUY", "symbol": symbol, "quantity": 5, "price": low}
        r = await http.post(f"{V1}/actions", json={**order, "command_id": "early-buy"}, headers=key)
        assert r.status_code == 202, r.text

        async def accepted() -> dict[str, object] | None:
            body: dict[str, object] = (
                await http.get(f"{V1}/actions/early-buy", headers=key)
            ).json()
            return body if body["status"] == "accepted" else None

        outcome = (await eventually(accepted, timeout=20))["outcome"]
        assert isinstance(outcome, dict)

        async def snapshot_after_the_order() -> bool:
            snap = await latest_snapshot(nats_url, env.season)
            return snap is not None and snap.event_seq > int(outcome["seq"])

        await eventually(snapshot_after_the_order, timeout=30, every=0.1)
        env.stop_engine.set()
        await env.engine_task
        last = await env.log.last_seq(env.log.streams.event_stream)

        async def projected() -> bool:
            return await queries.projection_position(env.db, env.season) >= last

        await eventually(projected, timeout=30)
        snap = await latest_snapshot(nats_url, env.season)
        assert snap is not None
        async with (
            running_gateway(
                env.log,
                port=free_port(),
                settings=TEST_SETTINGS,
                database=env.db,
                project=False,
                sse=False,
            ) as second,
            httpx.AsyncClient(base_url=second.url, timeout=10, trust_env=False) as again,
        ):
            restarted = second.deps.live
            assert restarted is not None
            assert restarted.ready
            assert restarted.start_seq == snap.event_seq > int(outcome["seq"])
            assert restarted.folded == last - snap.event_seq  # only the events after it
            # The key is known from the snapshot's world, not only from the read model.
            assert restarted.key_hashes[hash_key(me["api_key"])] == me["agent_id"]

            r = await again.get(f"{V1}/actions/early-buy", headers=key)
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "accepted"
            assert r.json()["outcome"] == outcome

            world = await rebuild(env.log)
            account = world.accounts[me["agent_id"]]
            assert int(outcome["order_id"]) in account.open_orders  # it still rests
            r = await again.get(f"{V1}/agents/{me['agent_id']}/portfolio", headers=key)
            assert r.status_code == 200, r.text
            mine = r.json()
            assert mine["private"] is True
            assert mine["as_of_seq"] == last  # answered by the live world
            assert mine["buying_power"] == buying_power(world, account)
            assert mine["cash"] == account.cash
            [resting] = mine["open_orders"]
            assert resting["command_id"] == "early-buy"
            assert resting["order_id"] == outcome["order_id"]
            assert resting["created_tick"] == outcome["tick"]

            r = await again.get(f"{V1}/agents/{me['agent_id']}")
            assert r.status_code == 200, r.text
            view = await queries.get_agent(env.db, env.season, me["agent_id"])
            assert view is not None
            assert r.json()["registered_tick"] == view.registered_tick > 0
            assert r.json()["as_of_seq"] == last


async def _true(value: bool) -> bool:
    return value
