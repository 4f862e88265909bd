"""A small Python API for notebooks: a season's tables as pandas DataFrames.

    import replayer
    season = replayer.open("s1a2b3c4d5")        # WSS_HOME's server, or NATS_URL
    season.trades.groupby("symbol")["quantity"].sum()

Works inside Jupyter too (its event loop is left alone: the read runs on a thread).
"""

import asyncio
import concurrent.futures
from dataclasses import dataclass
from typing import Any

import pandas as pd

from replayer.export import season_tables
from wss.seasonlog import SeasonLog
from wss.settings import Settings


@dataclass(frozen=True, slots=True)
class Season:
    """The tables of ``wss export`` (replayer/export.py), as DataFrames."""

    season: str
    trades: pd.DataFrame
    orders: pd.DataFrame
    bars: pd.DataFrame
    top_of_book: pd.DataFrame
    depth: pd.DataFrame
    agents: pd.DataFrame
    cases: pd.DataFrame
    news: pd.DataFrame
    earnings: pd.DataFrame


async def load_season(season: str, settings: Settings | None = None) -> Season:
    """The season's tables, from one fold of its log (async: for code with a loop)."""
    from wss.bootstrap import nats  # noqa: PLC0415 - starts the home's server if needed

    async with nats(settings or Settings()) as conn:
        tables = await season_tables(SeasonLog(conn.nc, season))
    frames: dict[str, Any] = {name: table.to_pandas() for name, table in tables.items()}
    return Season(season=season, **frames)


def open_season(season: str, settings: Settings | None = None) -> Season:
    """``load_season``, blocking; inside a running event loop (Jupyter) on a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(load_season(season, settings))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, load_season(season, settings)).result()
