"""The read side as a whole: analytics bars agree with relational trades; a killed
projection process resumes to exactly the rows of an uninterrupted rebuild."""

import asyncio
import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import text

from domain import simulate
from projections.analytics.client import client_factory
from projections.analytics.projection import AnalyticsProjection
from projections.analytics.queries import ohlcv
from projections.base import Sequenced
from projections.relational.database import create_engine
from projections.relational.digest import table_digest
from projections.relational.migrate import migrate
from projections.relational.store import RelationalProjection
from projections.runner import rebuild
from schemas.events import Event
from wss.bootstrap import nats
from wss.positions import position_key, reported_position
from wss.season import create_season, run_engine
from wss.settings import Settings

pytestmark = pytest.mark.timeout(240)


async def test_ohlcv_bars_match_relational_trades(tmp_path: Path) -> None:
    events = cast(list[Event], simulate(42, 200))
    batch = [Sequenced(seq, e) for seq, e in enumerate(events, 1)]
    url = f"sqlite+aiosqlite:///{tmp_path / 'read.db'}"
    await migrate(url)
    relational = RelationalProjection(url, "s1")
    await relational.apply(batch)
    await relational.aclose()
    factory = client_factory(home=tmp_path)
    analytics = AnalyticsProjection(factory, "s1")
    await analytics.apply(batch)
    await analytics.close()

    engine = create_engine(url)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT symbol, tick, price, quantity FROM trades WHERE season_id = 's1' "
                    "ORDER BY trade_id"
                )
            )
        ).all()
    await engine.dispose()
    expected: dict[str, dict[int, list[int]]] = defaultdict(dict)
    for symbol, tick, price, qty in rows:
        bar = expected[symbol].get(tick)
        if bar is None:
            expected[symbol][tick] = [price, price, price, price, qty]
        else:
            bar[1], bar[2], bar[3] = max(bar[1], price), min(bar[2], price), price
            bar[4] += qty
    assert len(rows) > 1_000
    client = factory()
    try:
        for symbol, by_tick in expected.items():
            bars = ohlcv(client, "s1", symbol, "1m")
            got = {b.tick: [b.open, b.high, b.low, b.close, b.volume] for b in bars}
            assert got == by_tick, symbol
    finally:
        client.close()


def _project(season: str, nats_url: str, home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "WSS_HOME": str(home), "NATS_URL": nats_url, "WSS_LEASE_SECONDS": "1"}
    env.pop("DATABASE_URL", None)
    argv = [sys.executable, "-m", "wss.cli", "project", "--run", "--season", season]
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


async def test_killed_projection_resumes_to_the_same_tables(nats_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "engine", nats_url=nats_url, snapshot_every=0)
    async with nats(settings) as conn:
        log = await create_season(conn.nc, seed=77)
        await run_engine(
            conn.nc,
            nats_url,
            log,
            settings,
            ticks=150,
            tick_ms=0,
            stop=asyncio.Event(),
            on_tick=lambda _: None,
        )
        last = await log.last_seq(log.streams.event_stream)
        live = tmp_path / "live"
        for kill_after in (1.5, 1.0):
            process = _project(log.season, nats_url, live)
            await asyncio.sleep(kill_after)
            process.send_signal(signal.SIGKILL)
            process.communicate()
            await asyncio.sleep(1.1)  # its leases go stale
        process = _project(log.season, nats_url, live)
        js = conn.nc.jetstream()
        key = position_key(log.season, "relational", Settings(home=live))
        try:
            async with asyncio.timeout(120):
                # Another process makes the progress: poll its reported position.
                while (await reported_position(js, key) or 0) < last:  # noqa: ASYNC110
                    await asyncio.sleep(0.2)
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=30)
        fresh = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        await migrate(fresh)
        projection = RelationalProjection(fresh, log.season)
        await rebuild(conn.nc.jetstream(), log.season, projection)
        await projection.aclose()
        digests = []
        for url in (f"sqlite+aiosqlite:///{(live / 'read.db').resolve()}", fresh):
            engine = create_engine(url)
            digests.append(await table_digest(engine, log.season))
            await engine.dispose()
        assert digests[0] == digests[1]
