"""Throughput of the analytics projection into chDB (for ``wss bench project``)."""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Sequence

from projections.analytics.client import ClientFactory, client_factory
from projections.analytics.projection import AnalyticsProjection
from projections.base import Sequenced
from schemas.config import PopulationConfig, SeasonConfig
from schemas.enums import Role, Sector, Side
from schemas.events import (
    BarClosed,
    BuiltinAgent,
    CompanyListing,
    Event,
    SeasonStarted,
    TickClosed,
    TradeExecuted,
)


def bench_chdb(
    events: Sequence[Event] | None = None,
    *,
    batch_size: int = 5_000,
    factory: ClientFactory | None = None,
    database: str = "wss_bench",
) -> float:
    """Rows written per second (all tables) folding ``events`` into a fresh chDB store.

    Without ``factory`` a throw-away engine directory is used; chDB hosts one engine
    path per process, so pass a factory on the process's path if one is already open.
    """
    season_events = list(events) if events is not None else synthetic_season()
    with tempfile.TemporaryDirectory(prefix="wss-bench-chdb-") as home:
        return asyncio.run(
            _run(season_events, batch_size, factory or client_factory(home=home), database)
        )


async def _run(
    events: list[Event], batch_size: int, factory: ClientFactory, database: str
) -> float:
    projection = AnalyticsProjection(factory, "bench", database=database)
    try:
        await projection.reset()
        batch = [Sequenced(seq, event) for seq, event in enumerate(events, start=1)]
        started = time.perf_counter()
        for i in range(0, len(batch), batch_size):
            await projection.apply(batch[i : i + batch_size])
        elapsed = time.perf_counter() - started
        rows = await asyncio.to_thread(_count_rows, factory, database)
        await projection.reset()
    finally:
        await projection.close()
    return rows / elapsed


def _count_rows(factory: ClientFactory, database: str) -> int:
    client = factory()
    try:
        total = 0
        for table in ("events", "price_history", "agent_snapshots"):
            result = client.query(
                f"SELECT count() FROM `{database}`.{table} WHERE season_id = 'bench'"  # noqa: S608 - fixed names
            )
            total += int(result.result_rows[0][0])
        return total
    finally:
        client.close()


def synthetic_season(
    ticks: int = 500,
    symbols: int = 20,
    agents: int = 40,
    trades_per_tick: int = 40,
    seed: int = 7,
) -> list[Event]:
    """A plausible season's event mix: trades, per-symbol bars, tick closes."""
    rng = random.Random(seed)
    names = [f"S{i:03d}" for i in range(symbols)]
    agent_ids = [f"bot-{i:03d}" for i in range(agents)]
    config = SeasonConfig(symbols=symbols, population=PopulationConfig())
    prices = {s: 10_000 + 100 * i for i, s in enumerate(names)}
    out: list[Event] = [
        SeasonStarted(
            tick=0,
            command_id="genesis",
            seed=seed,
            config=config,
            start_time="2026-01-05T09:30:00",
            companies=tuple(
                CompanyListing(
                    symbol=s,
                    name=s,
                    sector=Sector.TECHNOLOGY,
                    shares_outstanding=1_000_000,
                    revenue=10**9,
                    profit=10**8,
                    cash=10**8,
                    debt=0,
                    initial_price=prices[s],
                    volatility_bps=200,
                    beta_pct=100,
                )
                for s in names
            ),
            builtin_agents=tuple(
                BuiltinAgent(
                    agent_id=a,
                    name=a,
                    role=Role.QUANT,
                    strategy="noise",
                    cash=10**9,
                    holdings=dict.fromkeys(names, 1_000),
                )
                for a in agent_ids
            ),
        )
    ]
    trade_id = 0
    for tick in range(1, ticks + 1):
        by_symbol: dict[str, list[TradeExecuted]] = {}
        for _ in range(trades_per_tick):
            symbol = rng.choice(names)
            buyer, seller = rng.sample(agent_ids, 2)
            prices[symbol] = max(100, prices[symbol] + rng.randint(-20, 20))
            trade_id += 1
            trade = TradeExecuted(
                tick=tick,
                trade_id=trade_id,
                symbol=symbol,
                price=prices[symbol],
                quantity=rng.randint(1, 100),
                buy_order_id=2 * trade_id,
                sell_order_id=2 * trade_id + 1,
                buyer_id=buyer,
                seller_id=seller,
                buyer_fee=1,
                seller_fee=1,
                aggressor=Side.BUY,
            )
            by_symbol.setdefault(symbol, []).append(trade)
            out.append(trade)
        out.extend(bar_of(by_symbol[symbol]) for symbol in sorted(by_symbol))
        out.append(
            TickClosed(
                tick=tick,
                sim_time="",
                first_command_seq=0,
                last_command_seq=0,
                commands=0,
                events=0,
                state_hash="",
            )
        )
    return out


def bar_of(trades: Sequence[TradeExecuted]) -> BarClosed:
    """The bar the engine would close for one symbol's trades in one tick."""
    first = trades[0]
    return BarClosed(
        tick=first.tick,
        symbol=first.symbol,
        open=first.price,
        high=max(t.price for t in trades),
        low=min(t.price for t in trades),
        close=trades[-1].price,
        volume=sum(t.quantity for t in trades),
        notional=sum(t.price * t.quantity for t in trades),
        trades=len(trades),
    )
