"""The analytics projection against a real embedded chDB (clickhouse-connect ``chdb://``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from projections.analytics import AnalyticsProjection, client_factory
from projections.analytics.bench import bar_of, bench_chdb
from projections.analytics.client import CHDB_CACHE_BOUNDS, AnalyticsClient, ClientFactory
from projections.analytics.digest import analytics_digest
from projections.analytics.queries import agent_series, event_counts, events_by_type, ohlcv
from projections.base import Sequenced
from schemas.config import SeasonConfig
from schemas.enums import Role, Sector, Side
from schemas.events import (
    AgentRegistered,
    BuiltinAgent,
    CompanyListing,
    Event,
    MarketOpened,
    PositionChanged,
    SeasonStarted,
    TickClosed,
    TradeExecuted,
)

SEASON = "s1"
# 90 open ticks a day, no after-hours: ticks 1..90 are day 0, 91..130 day 1.
CONFIG = SeasonConfig(symbols=2, open_ticks_per_day=90, after_hours_ticks=0)
TICKS = 130
SYMBOLS = ("APEX", "BOLT")


def company(symbol: str, price: int) -> CompanyListing:
    return CompanyListing(
        symbol=symbol,
        name=symbol.title(),
        sector=Sector.TECHNOLOGY,
        shares_outstanding=1_000_000,
        revenue=10**9,
        profit=10**8,
        cash=10**8,
        debt=0,
        initial_price=price,
        volatility_bps=200,
        beta_pct=100,
    )


def season_events() -> list[Event]:
    """Genesis with two bots, one registered agent, trades on both symbols every tick."""
    events: list[Event] = [
        SeasonStarted(
            tick=0,
            command_id="genesis",
            seed=1,
            config=CONFIG,
            start_time="2026-01-05T09:30:00",
            companies=(company("APEX", 10_000), company("BOLT", 5_000)),
            builtin_agents=(
                BuiltinAgent(
                    agent_id="mm",
                    name="MM",
                    role=Role.MARKET_MAKER,
                    strategy="market_maker",
                    cash=1_000_000_00,
                    holdings={"APEX": 10_000},
                ),
                BuiltinAgent(
                    agent_id="noise",
                    name="Noise",
                    role=Role.RETAIL_TRADER,
                    strategy="noise",
                    cash=50_000_00,
                    holdings={},
                ),
            ),
        ),
        AgentRegistered(
            tick=0,
            command_id="reg",
            agent_id="ext",
            name="Ext",
            role=Role.QUANT,
            cash=100_000_00,
            max_leverage=2,
            callback_url=None,
            api_key_hash="h",
        ),
    ]
    trade_id = 0
    for tick in range(1, TICKS + 1):
        if tick in (1, 91):
            events.append(MarketOpened(tick=tick, day=(tick - 1) // 90))
        for symbol in SYMBOLS:
            trades = []
            for k in range(1 + tick % 3):
                trade_id += 1
                base = 10_000 if symbol == "APEX" else 5_000
                trades.append(
                    TradeExecuted(
                        tick=tick,
                        trade_id=trade_id,
                        symbol=symbol,
                        price=base + (tick % 7) * 10 + k,
                        quantity=1 + (tick + k) % 5,
                        buy_order_id=2 * trade_id,
                        sell_order_id=2 * trade_id + 1,
                        buyer_id="ext" if k % 2 == 0 else "noise",
                        seller_id="mm",
                        buyer_fee=1,
                        seller_fee=2,
                        aggressor=Side.BUY,
                    )
                )
            events.extend(trades)
            events.append(bar_of(trades))
        events.append(
            TickClosed(
                tick=tick,
                sim_time="",
                first_command_seq=0,
                last_command_seq=0,
                commands=0,
                events=0,
                state_hash=f"h{tick}",
            )
        )
    return events


def sequenced(events: Sequence[Event]) -> list[Sequenced]:
    return [Sequenced(seq, event) for seq, event in enumerate(events, start=1)]


@pytest.fixture(scope="module")
def chdb_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # chDB hosts one engine path per process: the whole module shares one, and
    # each test isolates itself in its own database.
    return tmp_path_factory.mktemp("analytics")


@pytest.fixture
def database(request: pytest.FixtureRequest) -> str:
    return "t_" + str(request.node.name).replace("[", "_").replace("]", "").replace("-", "_")


@pytest.fixture
def factory(chdb_home: Path) -> ClientFactory:
    return client_factory(home=chdb_home)


@pytest.fixture
def reader(factory: ClientFactory) -> Iterator[AnalyticsClient]:
    client = factory()
    yield client
    client.close()


@pytest.fixture
async def projection(factory: ClientFactory, database: str) -> AsyncIterator[AnalyticsProjection]:
    proj = AnalyticsProjection(factory, SEASON, database=database)
    yield proj
    await proj.close()


def digest(client: AnalyticsClient, database: str) -> dict[str, tuple[int, int]]:
    """(row count, order-independent hash of all rows) per table: equal iff same content."""
    return analytics_digest(client, SEASON, database)


async def test_folds_bars_rollups_events_and_snapshots(
    projection: AnalyticsProjection, reader: AnalyticsClient, database: str
) -> None:
    events = season_events()
    batch = sequenced(events)
    for i in range(0, len(batch), 97):  # uneven batches, as a runner might deliver
        await projection.apply(batch[i : i + 97])
    assert await projection.position() == len(batch)

    counts = event_counts(reader, SEASON, database=database)
    assert sum(counts.values()) == len(events)
    assert counts["TickClosed"] == TICKS
    assert counts["BarClosed"] == TICKS * len(SYMBOLS)

    trades = [e for e in events if isinstance(e, TradeExecuted)]
    for symbol in SYMBOLS:
        minute = ohlcv(reader, SEASON, symbol, "1m", database=database)
        assert [b.tick for b in minute] == list(range(1, TICKS + 1))
        for bar in minute:
            ticks = [t for t in trades if t.symbol == symbol and t.tick == bar.tick]
            assert bar.volume == sum(t.quantity for t in ticks)
            assert (bar.open, bar.close) == (ticks[0].price, ticks[-1].price)
            assert bar.high == max(t.price for t in ticks)
            assert bar.trades == len(ticks)

        hourly = ohlcv(reader, SEASON, symbol, "1h", database=database)
        # Hours align to each day's open: day 0 = minutes 0-59, 60-89; day 1 = 0-39.
        assert [(b.tick, b.end_tick) for b in hourly] == [(1, 60), (61, 90), (91, 130)]
        assert sum(b.volume for b in hourly) == sum(b.volume for b in minute)
        assert hourly[0].open == minute[0].open
        assert hourly[0].close == minute[59].close
        assert hourly[1].high == max(b.high for b in minute[60:90])
        assert hourly[1].low == min(b.low for b in minute[60:90])

        daily = ohlcv(reader, SEASON, symbol, "1d", database=database)
        assert [(b.tick, b.end_tick) for b in daily] == [(1, 90), (91, 130)]
        assert daily[1].close == minute[-1].close
        ranged = ohlcv(reader, SEASON, symbol, "1m", from_tick=10, to_tick=19, database=database)
        assert [b.tick for b in ranged] == list(range(10, 20))
        # ohlcv_latest_bars_limited_in_the_query: the latest bars, oldest first.
        latest = ohlcv(reader, SEASON, symbol, "1m", database=database, limit=5)
        assert latest == minute[-5:]

    ext_trades = events_by_type(reader, SEASON, "TradeExecuted", agent_id="ext", database=database)
    assert len(ext_trades) == sum(1 for t in trades if "ext" in (t.buyer_id, t.seller_id))
    assert all(row.payload.startswith("{") for row in ext_trades)

    # The registered agent's last snapshot matches a by-hand fold of its trades.
    mine = [t for t in trades if t.buyer_id == "ext"]
    cash = 100_000_00 - sum(t.price * t.quantity + t.buyer_fee for t in mine)
    held = {s: sum(t.quantity for t in mine if t.symbol == s) for s in SYMBOLS}
    last_price = {s: [t for t in trades if t.symbol == s][-1].price for s in SYMBOLS}
    value = sum(held[s] * last_price[s] for s in SYMBOLS)
    series = agent_series(reader, SEASON, "ext", database=database)
    assert series[-1].tick == TICKS
    assert (series[-1].cash, series[-1].portfolio_value) == (cash, value)
    assert series[-1].net_worth == cash + value
    assert series[-1].margin_used == value * CONFIG.maintenance_margin_bps // 10_000
    assert 1 <= series[-1].rank <= 3


async def test_apply_is_idempotent(
    projection: AnalyticsProjection, reader: AnalyticsClient, database: str
) -> None:
    batch = sequenced(season_events())
    await projection.apply(batch[:400])
    await projection.apply(batch[400:])
    once = digest(reader, database)
    await projection.apply(batch)  # full redelivery
    await projection.apply(batch[300:700])  # overlapping redelivery
    assert digest(reader, database) == once
    assert await projection.position() == len(batch)


class CrashingClient:
    """A real chDB client that dies once, right before inserting into ``table``."""

    def __init__(self, inner: AnalyticsClient, table: str) -> None:
        self.inner = inner
        self.table = table
        self.armed = False

    def command(self, cmd: str, parameters: dict[str, Any] | None = None) -> Any:
        return self.inner.command(cmd, parameters)

    def query(self, query: str, parameters: dict[str, Any] | None = None) -> Any:
        return self.inner.query(query, parameters)

    def insert(
        self, table: str, data: Sequence[Sequence[Any]], column_names: Sequence[str], **kwargs: Any
    ) -> Any:
        if self.armed and table == self.table:
            self.armed = False
            raise ConnectionError(f"crash before inserting into {table}")
        return self.inner.insert(table, data, column_names, **kwargs)

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize(
    "crash_table", ["price_history", "agent_snapshots", "projection_positions"]
)
async def test_crash_between_table_inserts_then_reapply(
    factory: ClientFactory, reader: AnalyticsClient, database: str, crash_table: str
) -> None:
    batch = sequenced(season_events())
    half = len(batch) // 2

    reference = AnalyticsProjection(factory, SEASON, database=database + "_ref")
    await reference.apply(batch[:half])
    await reference.apply(batch[half:])
    expected = digest(reader, database + "_ref")
    await reference.close()

    crashing = CrashingClient(factory(), crash_table)
    first = AnalyticsProjection(lambda: crashing, SEASON, database=database)
    await first.apply(batch[:half])
    crashing.armed = True
    with pytest.raises(ConnectionError):
        await first.apply(batch[half:])
    assert await first.position() == batch[half - 1].seq
    # The same instance retries (state rebuilt from the store)...
    await first.apply(batch[half:])
    assert digest(reader, database) == expected
    await first.close()

    # ...and a restarted one after a crash mid-batch ends up identical too.
    await AnalyticsProjection(factory, SEASON, database=database).reset()
    crashing = CrashingClient(factory(), crash_table)
    second = AnalyticsProjection(lambda: crashing, SEASON, database=database)
    await second.apply(batch[:half])
    crashing.armed = True
    with pytest.raises(ConnectionError):
        await second.apply(batch[half : half + 300])
    await second.close()
    restarted = AnalyticsProjection(factory, SEASON, database=database)
    assert await restarted.position() == batch[half - 1].seq
    await restarted.apply(batch[half:])
    assert digest(reader, database) == expected
    await restarted.close()


async def test_reset_then_rebuild(
    projection: AnalyticsProjection, reader: AnalyticsClient, database: str
) -> None:
    batch = sequenced(season_events())
    await projection.apply(batch)
    built = digest(reader, database)
    await projection.reset()
    assert await projection.position() == 0
    assert all(count == 0 for count, _ in digest(reader, database).values())
    await projection.apply(batch)
    assert digest(reader, database) == built


async def test_position_changed_overrides_folded_cash(
    projection: AnalyticsProjection, reader: AnalyticsClient, database: str
) -> None:
    events = season_events()[:2]
    events += [
        PositionChanged(tick=1, agent_id="ext", symbol="APEX", quantity=3, cash=70_000_00),
        TickClosed(
            tick=1,
            sim_time="",
            first_command_seq=0,
            last_command_seq=0,
            commands=0,
            events=0,
            state_hash="h",
        ),
    ]
    await projection.apply(sequenced(events))
    (snap,) = agent_series(reader, SEASON, "ext", database=database)
    assert (snap.cash, snap.portfolio_value) == (70_000_00, 3 * 10_000)


def test_bench_chdb_rate(factory: ClientFactory) -> None:
    rate = bench_chdb(season_events() * 1, factory=factory, database="t_bench")
    assert rate > 0


async def test_simulated_season_bars_match_trades(
    factory: ClientFactory, reader: AnalyticsClient, database: str
) -> None:
    from domain.simulate import simulate  # noqa: PLC0415 - the domain is optional here

    events = cast("list[Event]", simulate(seed=42, ticks=200))
    projection = AnalyticsProjection(factory, SEASON, database=database)
    batch = sequenced(events)
    for i in range(0, len(batch), 2_000):
        await projection.apply(batch[i : i + 2_000])
    await projection.close()

    volume: dict[tuple[str, int], int] = {}
    for event in events:
        if isinstance(event, TradeExecuted):
            key = (event.symbol, event.tick)
            volume[key] = volume.get(key, 0) + event.quantity
    assert volume, "the simulated season traded nothing"
    stored = reader.query(
        f"SELECT symbol, tick, volume FROM `{database}`.price_history FINAL "  # noqa: S608
        "WHERE season_id = {s:String}",
        parameters={"s": SEASON},
    ).result_rows
    assert {(str(s), int(t)): int(v) for s, t, v in stored} == volume
    assert sum(event_counts(reader, SEASON, database=database).values()) == len(events)


def test_embedded_chdb_caches_are_bounded(reader: AnalyticsClient) -> None:
    # The engine lives in the server's process: its caches must not be a server's 5 GiB.
    rows = reader.query(
        "SELECT name, value FROM system.server_settings WHERE name IN {names:Array(String)}",
        parameters={"names": list(CHDB_CACHE_BOUNDS)},
    ).result_rows
    assert dict(rows) == CHDB_CACHE_BOUNDS
