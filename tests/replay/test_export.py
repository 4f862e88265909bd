"""`wss export`: Parquet/CSV tables read by pandas, polars and duckdb; counts equal the
log's; the order-level messages rebuild the engine's top of book at every tick."""

from collections import defaultdict
from pathlib import Path

import duckdb  # the dev extra (pyproject.toml): an older venv needs ./setup.sh
import pandas as pd
import polars as pl
import pytest

from replayer.fold import fold
from schemas import events as ev
from schemas.enums import OrderType
from schemas.events import parse_event
from tests.fixtures.wss_cli import wss, wss_env
from tests.replay.seasons import run_season
from wss.bootstrap import nats
from wss.settings import Settings

pytestmark = pytest.mark.timeout(240)
TICKS = 40  # past a close (30 open ticks a day here): day orders expire


def _rebuilt_tops(orders: pd.DataFrame) -> dict[tuple[int, str], tuple[object, ...]]:
    """Best bid/ask (price, size) after each tick, from the order messages alone."""
    live: dict[int, list[object]] = {}  # order id -> [symbol, price, direction, size]
    tops: dict[tuple[int, str], tuple[object, ...]] = {}
    symbols = sorted(orders["symbol"].unique())
    by_tick = dict(tuple(orders.sort_values("seq").groupby("tick")))
    for tick in range(TICKS + 1):
        for row in by_tick.get(tick, pd.DataFrame()).itertuples():
            if row.event_type == 1:
                live[row.order_id] = [row.symbol, row.price, row.direction, row.size]
            else:
                entry = live[row.order_id]
                entry[3] -= row.size  # type: ignore[operator]
                if entry[3] == 0 or row.event_type == 3:
                    del live[row.order_id]
        for symbol in symbols:
            levels: dict[int, dict[int, int]] = {1: defaultdict(int), -1: defaultdict(int)}
            for s, price, direction, size in live.values():
                if s == symbol:
                    levels[direction][price] += size  # type: ignore[index]
            bid = max(levels[1], default=None)
            ask = min(levels[-1], default=None)
            tops[(tick, symbol)] = (
                bid, levels[1][bid] if bid is not None else None,
                ask, levels[-1][ask] if ask is not None else None,
            )  # fmt: skip
    return tops


async def test_export_tables_match_the_log_and_rebuild_the_books(
    nats_url: str, tmp_path: Path
) -> None:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        ran = await run_season(conn.nc, ticks=TICKS)
        log = ran.log
        events = []
        async for page in log.read(
            log.streams.event_stream, 1, await log.last_seq(log.streams.event_stream)
        ):
            events.extend(parse_event(m.data) for m in page)
        worlds = {t: (await fold(log, until_tick=t)).world for t in (3, 17, TICKS)}
    out = tmp_path / "tables"
    env = wss_env(tmp_path, NATS_URL=nats_url)
    done = wss(tmp_path, "export", "--season", log.season, "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    csv = wss(tmp_path, "export", "--season", log.season, "--format", "csv",
              "--out", str(tmp_path / "csv"), env=env)  # fmt: skip
    assert csv.returncode == 0, csv.stderr

    trades = sum(isinstance(e, ev.TradeExecuted) for e in events)
    bars = sum(isinstance(e, ev.BarClosed) for e in events)
    limits = {
        e.order_id for e in events
        if isinstance(e, ev.OrderAccepted) and e.order_type is OrderType.LIMIT
    }  # fmt: skip
    executions = sum(
        (e.buy_order_id in limits) + (e.sell_order_id in limits)
        for e in events if isinstance(e, ev.TradeExecuted)
    )  # fmt: skip
    deletions = sum(
        isinstance(e, (ev.OrderCancelled, ev.OrderExpired)) and e.order_id in limits for e in events
    )
    assert trades
    assert bars
    assert deletions
    db = duckdb.connect()
    expected = {
        "trades": trades,
        "bars": bars,
        "orders": len(limits) + executions + deletions,
        "news": sum(isinstance(e, ev.NewsPublished) for e in events),
        "earnings": sum(isinstance(e, ev.EarningsReported) for e in events),
    }
    for name, count in expected.items():
        path = out / f"{name}.parquet"
        assert len(pd.read_parquet(path)) == count
        assert pl.read_parquet(path).height == count
        assert db.execute("select count(*) from read_parquet(?)", [str(path)]).fetchone() == (
            count,
        )
        assert len(pd.read_csv(tmp_path / "csv" / f"{name}.csv")) == count
    trades_file = str(out / "trades.parquet")
    volume = db.execute("select sum(quantity) from read_parquet(?)", [trades_file]).fetchone()
    assert volume == (sum(e.quantity for e in events if isinstance(e, ev.TradeExecuted)),)

    top = pd.read_parquet(out / "top_of_book.parquet")
    engine = {
        (r.tick, r.symbol): tuple(
            None if pd.isna(v) else int(v)
            for v in (r.bid_price, r.bid_size, r.ask_price, r.ask_size)
        )
        for r in top.itertuples()
    }
    assert len(engine) == (TICKS + 1) * len(worlds[TICKS].companies)
    assert _rebuilt_tops(pd.read_parquet(out / "orders.parquet")) == engine  # every tick
    for tick, world in worlds.items():  # and the table is the engine's own books
        for symbol, book in world.books.items():
            bid, ask = book.best_bid(), book.best_ask()
            assert engine[(tick, symbol)][0] == bid
            assert engine[(tick, symbol)][2] == ask
    agents = pl.read_parquet(out / "agents.parquet")
    # Every account after every tick; alice and bob exist from tick 1.
    assert agents.height == len(worlds[TICKS].accounts) * (TICKS + 1) - 2
