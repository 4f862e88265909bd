"""The one fold: the world after any whole tick; a half-published tail is left out."""

from pathlib import Path

import pytest

from domain import context_for, state_hash, step
from domain.hashing import restore, snapshot
from replayer.fold import fold
from replayer.verify import rebuild
from tests.replay.seasons import run_season
from wss.bootstrap import nats
from wss.settings import Settings

pytestmark = pytest.mark.timeout(120)


async def test_fold_to_each_tick_gives_that_ticks_recorded_hash(
    nats_url: str, tmp_path: Path
) -> None:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        ran = await run_season(conn.nc, ticks=12)
        for tick in (0, 1, 5, 12):
            folded = await fold(ran.log, until_tick=tick)
            assert folded.world.tick == tick
            assert folded.last_hash == ran.hashes[tick]
        whole = await fold(ran.log, until_tick=99)  # past the end: the last closed tick
        assert whole.world.tick == 12
        assert whole.partial == []


async def test_fold_leaves_out_a_half_published_tick(nats_url: str, tmp_path: Path) -> None:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        ran = await run_season(conn.nc, ticks=6)
        log = ran.log
        world = (await fold(log)).world
        ahead = restore(snapshot(world))
        events = step(
            ahead, [], context_for(ahead, 7, world.last_command_seq + 1, world.last_command_seq)
        )
        assert len(events) > 3
        last = await log.last_seq(log.streams.event_stream)
        payloads = [(e.type, e.model_dump_json().encode()) for e in events[:3]]
        await log.publish_tick(7, world.last_command_seq, payloads, after_seq=last, first=0)
        folded = await fold(log)
        assert folded.world.tick == 6
        assert folded.last_hash == ran.hashes[6]
        assert [m.seq for m in folded.partial] == [last + 1, last + 2, last + 3]
        assert folded.event_seq == last + 3
        # The replayer's rebuild and a fold that stops at tick 6 reach the same world.
        assert state_hash(await rebuild(log)) == state_hash((await fold(log, until_tick=6)).world)


async def test_fold_reports_progress_up_to_the_last_event(nats_url: str, tmp_path: Path) -> None:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        ran = await run_season(conn.nc, ticks=4)
        seen: list[tuple[int, int]] = []
        folded = await fold(ran.log, progress=lambda done, total: seen.append((done, total)))
    assert seen
    assert seen[-1] == (folded.event_seq, folded.event_seq)
