"""Resuming a season costs what the snapshot interval costs, never what the season's length
costs: the engine snapshots by events as well as ticks, the SSE hub starts from the latest
snapshot, and the analytics projection from its latest fold checkpoint."""

import json
import zlib
from pathlib import Path
from typing import cast

import pytest

from domain import World, context_for, simulate, step
from domain.simulate import start_command
from projections.analytics.client import client_factory
from projections.analytics.projection import AnalyticsProjection
from projections.base import Sequenced
from projections.hub_seed import latest_seed
from projections.sse_hub import SseHub
from schemas.events import Event
from tests.e2e.gateway_env import CONFIG
from wss.bootstrap import nats
from wss.engine import Engine
from wss.lease import Lease
from wss.season import create_season
from wss.settings import Settings
from wss.snapshots import SnapshotStore

pytestmark = pytest.mark.timeout(180)


async def test_engine_snapshots_every_n_events_and_hub_starts_from_the_latest(
    nats_url: str, tmp_path: Path
) -> None:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        log = await create_season(conn.nc, seed=11, config=CONFIG)
        lease = Lease(log.js, log.season, ttl=30)
        await lease.acquire()
        snapshots = SnapshotStore(nats_url)
        # Never by ticks here (every 10,000): only the event count triggers a snapshot.
        engine = Engine(log, lease, snapshots, 10_000, snapshot_every_events=300)
        try:
            await engine.recover()
            await engine.tick(at_least=1)  # genesis: StartSeason is command 1
            for _ in range(40):
                await engine.tick()
        finally:
            await engine.close()
            await lease.release()
            snapshots.close()
        last = await log.last_seq(log.streams.event_stream)
        seed = await latest_seed(nats_url, log.season)
        assert seed is not None
        assert 0 < last - seed.seq < 300 + 100  # at most the interval plus one tick behind
        hub = SseHub(log.js, log.season)
        await hub.start(seed)
        full = SseHub(log.js, log.season)
        await full.start()
        try:
            assert hub.received == last - seed.seq  # only the events after the snapshot
            assert hub.last_seq == full.last_seq == last
            # The same leaderboard as a hub that folded the whole season.
            assert hub._leaderboard is not None
            assert full._leaderboard is not None
            assert hub._leaderboard.data == full._leaderboard.data
        finally:
            await hub.stop()
            await full.stop()


async def test_analytics_restart_refolds_only_what_follows_its_checkpoint(tmp_path: Path) -> None:
    events = cast(list[Event], simulate(42, 120))
    batch = [Sequenced(seq, e) for seq, e in enumerate(events, 1)]
    # Past a checkpoint (one every 1,400 events: two 700-event batches) by less than the
    # interval, whatever the season's length: the restart has something to re-fold.
    half = len(batch) // 2 // 1_400 * 1_400 + 823
    factory = client_factory(home=tmp_path)
    first = AnalyticsProjection(factory, "s1", checkpoint_every=1_000)
    for start in range(0, half, 700):
        await first.apply(batch[start : min(start + 700, half)])
    await first.close()
    again = AnalyticsProjection(factory, "s1", checkpoint_every=1_000)
    assert await again.position() == half
    # Re-folded: the events after the last checkpoint (< interval + a batch), not all.
    assert 0 < again.restored < 1_000 + 700 < half // 4
    await again.apply(batch[half:])
    await again.close()
    straight = AnalyticsProjection(factory, "s2", checkpoint_every=10**9)
    await straight.apply([Sequenced(s.seq, s.event) for s in batch])
    await straight.close()
    client = factory()
    try:
        rows = {
            season: client.query(
                "SELECT agent_id, tick, net_worth, cash, portfolio_value, margin_used, rank "
                "FROM wss.agent_snapshots WHERE season_id = {s:String} ORDER BY agent_id, tick",
                parameters={"s": season},
            ).result_rows
            for season in ("s1", "s2")
        }
    finally:
        client.close()
    assert rows["s1"]
    assert rows["s1"] == rows["s2"]


async def test_a_snapshot_this_build_cannot_read_is_passed_over_for_an_older_one(
    nats_url: str, tmp_path: Path
) -> None:
    """After an upgrade that adds state to the image, the newest snapshot may lack it:
    readers fall back to an older readable one (or the log's start), never crash."""
    world = World()
    step(world, [start_command(5)], context_for(world, 0))
    for tick in (1, 2, 3):
        step(world, [], context_for(world, tick))
    store = SnapshotStore(nats_url)
    try:
        season = f"unreadable-{tmp_path.name}"
        assert await store.latest(season) is None
        assert await store.save(season, world, event_seq=40, last_hash="h3")
        unreadable = {"event_seq": 90, "last_hash": "h9", "world": {"v": 999}}
        store._insert(season, 9, zlib.compress(json.dumps(unreadable).encode()))
        found = await store.latest(season)
        assert found is not None
        assert (found.event_seq, found.last_hash, found.world.tick) == (40, "h3", world.tick)
    finally:
        store.close()
