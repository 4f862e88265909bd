"""A read-side task never dies unseen: values the log can hold are storable everywhere, and a
projection that fails is named (event seq) in ``/ready`` and ``wss project --status``,
retried with backoff, and recovers once its store is fixed. Postgres, SQLite and chDB."""

import asyncio
import contextlib
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from nats.js import JetStreamContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.universe import companies
from gateway.runtime import running_gateway
from projections.analytics.client import client_factory
from projections.analytics.projection import AnalyticsProjection
from projections.relational.database import create_engine
from projections.relational.migrate import migrate
from projections.relational.store import RelationalProjection
from projections.runner import rebuild
from schemas import commands as cmd
from schemas import limits
from schemas.enums import OrderType, Role
from tests.e2e.gateway_env import CONFIG, eventually
from wss import projectcli
from wss.bootstrap import Nats, nats
from wss.natsserver import free_port
from wss.positions import reported
from wss.readside import ReadSide
from wss.season import create_season, run_engine
from wss.seasonlog import SeasonLog
from wss.settings import Settings

pytestmark = pytest.mark.timeout(180)

# Every kind of character the log can carry in a string: NUL, other control characters,
# astral-plane emoji, right-to-left and combining marks.
ODD = "nul\x00here \x01\x1f\x7f 🦄 \u202eabc\u202c e\u0301 \U0010fffd"
STORED = ODD.replace("\x00", "\ufffd")
NAME = ODD[: limits.MAX_NAME_CHARS]


async def _ticks(conn: Nats, log: SeasonLog, settings: Settings, ticks: int) -> None:
    await run_engine(
        conn.nc,
        conn.url,
        log,
        settings,
        ticks=ticks,
        tick_ms=0,
        stop=asyncio.Event(),
        on_tick=lambda _: None,
    )


async def _rebuild_everywhere(log: SeasonLog, urls: list[str], home: Path) -> list[AsyncEngine]:
    """Rebuild the season into each relational store and into chDB under ``home``; every
    rebuild reaches the log's end. Returns the relational engines (caller disposes)."""
    last = await log.last_seq(log.streams.event_stream)
    engines = []
    for url in urls:
        await migrate(url)
        engine = create_engine(url)
        engines.append(engine)
        assert await rebuild(log.js, log.season, RelationalProjection(engine, log.season)) == last
    analytics = AnalyticsProjection(client_factory(home=home), log.season)
    try:
        assert await rebuild(log.js, log.season, analytics) == last
    finally:
        await analytics.close()
    return engines


async def test_nul_and_any_unicode_are_stored_by_every_store(
    nats_url: str, postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path, nats_url=nats_url, snapshot_every=0)
    async with nats(settings) as conn:
        # Straight onto the command log, no gateway: the engine accepts what the schema does.
        log = await create_season(conn.nc, seed=5, config=CONFIG)
        await log.submit(
            cmd.RegisterAgent(
                command_id="reg",
                agent_id="odd",
                name=NAME,
                role=Role.INFLUENCER,
                callback_url=f"http://example.com/{ODD}",
                api_key_hash="0" * 64,
            )
        )
        await _ticks(conn, log, settings, 2)
        symbol = companies(5, CONFIG)[0].symbol
        await log.submit(cmd.Rumor(command_id="r1", agent_id="odd", symbol=symbol, content=ODD))
        await _ticks(conn, log, settings, 2)
        urls = [postgres_url, f"sqlite+aiosqlite:///{tmp_path / 'read.db'}"]
        for engine in await _rebuild_everywhere(log, urls, tmp_path):
            async with engine.connect() as db:
                name, callback = (
                    await db.execute(
                        text(
                            "SELECT name, callback_url FROM agents "
                            "WHERE season_id = :s AND agent_id = 'odd'"
                        ),
                        {"s": log.season},
                    )
                ).one()
            await engine.dispose()
            # NUL is stored as U+FFFD (Postgres text cannot hold it); the rest as is.
            assert (name, callback) == (STORED[: len(NAME)], f"http://example.com/{STORED}")
    client = client_factory(home=tmp_path)()
    try:
        payloads = client.query(
            "SELECT payload FROM wss.events WHERE season_id = {s:String} "
            "AND type IN ('AgentRegistered', 'RumorPublished') ORDER BY seq",
            parameters={"s": log.season},
        ).result_rows
    finally:
        client.close()
    # chDB keeps the event exactly as the log holds it, NUL included.
    stored = [json.loads(p) for (p,) in payloads]
    assert [(e.get("name"), e.get("content")) for e in stored] == [(NAME, None), (None, ODD)]


async def test_integers_at_the_schema_bounds_are_stored_by_every_store(
    nats_url: str, postgres_url: str, tmp_path: Path
) -> None:
    """The largest order the schema allows (quantity and price at their caps) is decided by
    the engine and stored exactly by every read model."""
    settings = Settings(home=tmp_path, nats_url=nats_url, snapshot_every=0)
    async with nats(settings) as conn:
        log = await create_season(conn.nc, seed=6, config=CONFIG)
        await log.submit(
            cmd.RegisterAgent(
                command_id="reg",
                agent_id="big",
                name="big",
                role=Role.HEDGE_FUND_MANAGER,
                api_key_hash="0" * 64,
            )
        )
        await _ticks(conn, log, settings, 1)
        await log.submit(
            cmd.Short(
                command_id="s1",
                agent_id="big",
                symbol=companies(6, CONFIG)[0].symbol,
                order_type=OrderType.LIMIT,
                quantity=limits.MAX_QUANTITY,
                price=limits.MAX_PRICE_CENTS,
            )
        )
        await _ticks(conn, log, settings, 1)
        urls = [postgres_url, f"sqlite+aiosqlite:///{tmp_path / 'read.db'}"]
        for engine in await _rebuild_everywhere(log, urls, tmp_path):
            async with engine.connect() as db:
                rows = (
                    await db.execute(
                        text(
                            "SELECT status, reason FROM actions "
                            "WHERE season_id = :s AND command_id = 's1'"
                        ),
                        {"s": log.season},
                    )
                ).all()
            await engine.dispose()
            assert len(rows) == 1  # an outcome was stored, whichever it is


async def _rename(engine: AsyncEngine, table: str, to: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(f"ALTER TABLE {table} RENAME TO {to}"))


@contextlib.asynccontextmanager
async def _table_gone(engine: AsyncEngine, table: str) -> AsyncIterator[None]:
    """The projection's table is gone until the block exits (then it is put back)."""
    await _rename(engine, table, f"{table}_gone")
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # the test may have put it back itself
            await _rename(engine, f"{table}_gone", table)


async def _failure(js: JetStreamContext, season: str) -> dict[str, object] | None:
    reports = await reported(js, season, "relational")
    return next((r.failure for r in reports if r.failure is not None), None)


async def _caught_up(js: JetStreamContext, season: str, last: int) -> bool:
    reports = await reported(js, season, "relational")
    return any(r.failure is None and r.position == last for r in reports)


async def test_failed_projection_shows_in_status_and_recovers(
    nats_url: str, postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        home=tmp_path, nats_url=nats_url, database_url=postgres_url, snapshot_every=0
    )
    await migrate(postgres_url)
    admin = create_engine(postgres_url)
    try:
        async with nats(settings) as conn:
            log = await create_season(conn.nc, seed=8, config=CONFIG)
            await _ticks(conn, log, settings, 5)
            last = await log.last_seq(log.streams.event_stream)
            js = conn.nc.jetstream()
            read_side = ReadSide(js, log.season, settings)
            async with _table_gone(admin, "world_state"):
                read_side.start(("relational",))
                failure = await eventually(lambda: _failure(js, log.season), timeout=30, every=0.1)
                # Its first event (SeasonStarted, seq 1) is the one it cannot store.
                assert failure["seq"] == 1
                assert "world_state" in str(failure["error"])
                assert read_side.health.failures["relational"].seq == 1
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    code = await projectcli.status(settings, log.season)
                assert code == 1
                assert "FAILING at event 1" in out.getvalue()
            await eventually(lambda: _caught_up(js, log.season, last), timeout=60, every=0.1)
            assert read_side.health.ok
            assert await read_side.stop() == []
    finally:
        await admin.dispose()


async def test_failed_projection_makes_ready_503_until_fixed(
    nats_url: str, postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path, nats_url=nats_url, snapshot_every=0)
    await migrate(postgres_url)
    db = create_engine(postgres_url)
    try:
        async with nats(settings) as conn:
            log = await create_season(conn.nc, seed=9, config=CONFIG)
            await _ticks(conn, log, settings, 5)
            async with (
                _table_gone(db, "world_state"),
                running_gateway(log, port=free_port(), database=db) as gateway,
                httpx.AsyncClient(base_url=gateway.url) as http,
            ):

                async def not_ready() -> httpx.Response | None:
                    response = await http.get("/ready")
                    return response if response.status_code == 503 else None

                body = (await eventually(not_ready, timeout=30, every=0.1)).json()
                assert body["error"] == "not_ready"
                assert [(f["name"], f["seq"]) for f in body["failing"]] == [("relational", 1)]
                assert "relational failed at event 1" in body["detail"]
                # The table comes back: the retry gets past event 1, and /ready says so.
                await _rename(db, "world_state_gone", "world_state")

                async def ready() -> bool:
                    return (await http.get("/ready")).status_code == 200

                await eventually(ready, timeout=30, every=0.1)
    finally:
        await db.dispose()
