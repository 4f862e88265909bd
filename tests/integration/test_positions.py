"""Reported projection positions are keyed by store: a rebuild into another database never
overwrites the live projection's position, which ``--status`` and ``drain()`` read."""

import asyncio
from pathlib import Path

import pytest

from tests.e2e.gateway_env import CONFIG
from wss.bootstrap import nats
from wss.positions import position_key, reported, reported_position
from wss.readside import ReadSide, prepare, rebuild_projection
from wss.season import create_season, run_engine
from wss.settings import Settings
from wss.stores import store_label

pytestmark = pytest.mark.timeout(180)


async def test_rebuild_into_another_store_keeps_the_live_position(
    nats_url: str, postgres_url: str, tmp_path: Path
) -> None:
    live = Settings(home=tmp_path / "live", nats_url=nats_url, snapshot_every=0)
    other = Settings(home=tmp_path / "other", nats_url=nats_url, database_url=postgres_url)
    async with nats(live) as conn:
        js = conn.nc.jetstream()
        log = await create_season(conn.nc, seed=21, config=CONFIG)

        async def ticks(n: int) -> int:
            await run_engine(
                conn.nc,
                nats_url,
                log,
                live,
                ticks=n,
                tick_ms=0,
                stop=asyncio.Event(),
                on_tick=lambda _: None,
            )
            return await log.last_seq(log.streams.event_stream)

        first = await ticks(3)
        await prepare(live)
        read_side = ReadSide(js, log.season, live)
        read_side.start(("relational",))
        await read_side.drain(first, within=60)
        assert await read_side.stop() == []
        # The log moves on; someone rebuilds the projection into Postgres meanwhile.
        last = await ticks(3)
        await prepare(other)
        assert (
            await rebuild_projection(js, log.season, "relational", other, lambda *_: None) == last
        )
        live_key = position_key(log.season, "relational", live)
        other_key = position_key(log.season, "relational", other)
        assert live_key != other_key
        assert await reported_position(js, live_key) == first  # not the rebuild's `last`
        assert await reported_position(js, other_key) == last
        stores = {r.store: r.position for r in await reported(js, log.season, "relational")}
        assert len(stores) == 2
        assert any(s.startswith("sqlite") and p == first for s, p in stores.items())
        assert any(s.startswith("postgresql") and p == last for s, p in stores.items())
    secret = Settings(database_url="postgresql+asyncpg://u:hunter2@db/read")
    assert "hunter2" not in store_label("relational", secret)  # reports never hold a password
