"""replayer.open(season): the export's tables as DataFrames, for notebooks."""

import asyncio
from pathlib import Path

import pytest

import replayer
from tests.replay.seasons import run_season
from wss.bootstrap import nats
from wss.settings import Settings

pytestmark = pytest.mark.timeout(120)


def test_replayer_open_gives_dataframes_also_inside_a_running_loop(
    nats_url: str, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path, nats_url=nats_url)

    async def make() -> str:
        async with nats(settings) as conn:
            return (await run_season(conn.nc, ticks=10)).log.season

    season = asyncio.run(make())
    opened = replayer.open(season, settings)
    assert len(opened.trades) > 0
    assert set(opened.agents["agent_id"]) >= {"alice", "bob"}
    assert opened.top_of_book["tick"].max() == 10

    async def in_a_loop() -> int:  # as in Jupyter, whose loop is already running
        return len(replayer.open(season, settings).trades)

    assert asyncio.run(in_a_loop()) == len(opened.trades)
