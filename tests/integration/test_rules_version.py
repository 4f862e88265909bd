"""`verify` replays a season under the rules version its genesis recorded."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from domain import World, context_for, step
from replayer import verify
from wss.bootstrap import Nats, nats
from wss.season import create_season
from wss.seasonlog import SeasonLog
from wss.settings import Settings

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def conn(nats_url: str, tmp_path: Path) -> AsyncIterator[Nats]:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as c:
        yield c


async def _record(
    conn: Nats, seed: int, genesis: Callable[[bytes], bytes] | None = None
) -> SeasonLog:
    """A season of 5 ticks written to the log as the engine would, with the genesis event
    replaced by ``genesis`` (what an older build, or a newer one, would have stored)."""
    log = await create_season(conn.nc, seed=seed, rules_version=1)
    world = World()
    after = cut = 0
    for tick in range(6):
        first = cut + 1
        commands = [c for _, c in await log.commands(1, 1)] if tick == 0 else []
        cut = 1
        events = step(world, commands, context_for(world, tick, first, cut))
        payloads = [(e.type, e.model_dump_json().encode()) for e in events]
        if tick == 0 and genesis is not None:
            payloads[0] = (payloads[0][0], genesis(payloads[0][1]))
        after = await log.publish_tick(tick, cut, payloads, after_seq=after, first=0)
    return log


def _older(genesis: bytes) -> bytes:
    assert b'"rules_version":1,' in genesis
    return genesis.replace(b'"rules_version":1,', b"", 1)


async def test_a_log_recorded_before_rules_version_existed_still_verifies(conn: Nats) -> None:
    log = await _record(conn, seed=11, genesis=_older)
    verdict = await verify(log)
    assert verdict.ok, verdict.divergence
    assert verdict.ticks == 6
    assert verdict.older_format == 1  # the genesis, read as version 1; the rest byte for byte


async def test_a_season_under_an_unknown_rules_version_is_refused_clearly(conn: Nats) -> None:
    log = await _record(
        conn, seed=12, genesis=lambda g: g.replace(b'"rules_version":1', b'"rules_version":99')
    )
    verdict = await verify(log)
    known = "known: 1, 2"
    assert verdict.divergence == f"tick 0: rules version 99 is not known to this build ({known})"


async def test_a_changed_event_still_diverges(conn: Nats) -> None:
    log = await _record(conn, seed=13, genesis=lambda g: g.replace(b'"seed":13', b'"seed":14'))
    verdict = await verify(log)
    assert verdict.divergence == "tick 0, event 0: replay differs"
