"""`wss replay state`: the world at a tick as JSON, and one-line errors."""

import json
from pathlib import Path

import pytest

from replayer.fold import fold
from replayer.state import world_json
from tests.fixtures.wss_cli import wss, wss_env
from tests.replay.seasons import run_season
from wss.bootstrap import nats
from wss.settings import Settings

pytestmark = pytest.mark.timeout(120)


async def test_replay_state_prints_books_accounts_companies_at_the_tick(
    nats_url: str, tmp_path: Path
) -> None:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        ran = await run_season(conn.nc, ticks=8)
        folded = await fold(ran.log, until_tick=5)
    env = wss_env(tmp_path, NATS_URL=nats_url)
    done = wss(tmp_path, "replay", "state", "--season", ran.log.season, "--tick", "5", env=env)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["tick"] == 5
    assert body["state_hash"] == ran.hashes[5]
    world = body["world"]
    assert world == json.loads(json.dumps(world_json(folded.world, opening=folded.opening_worth)))
    assert set(world["accounts"]) >= {"alice", "bob"}
    symbol = next(iter(world["companies"]))
    book = world["books"][symbol]
    assert book["bids"] or book["asks"]
    bids = [level["price"] for level in book["bids"]]
    assert bids == sorted(bids, reverse=True)  # best first
    resting = sum(
        o["remaining"]
        for o in world["orders"]
        if o["symbol"] == symbol and o["side"] == "BUY" and o["order_type"] == "LIMIT"
    )
    assert sum(level["quantity"] for level in book["bids"]) == resting
    for extra in ("alliances", "messages", "rumors", "house"):  # every field of the world
        assert extra in world

    one = wss(tmp_path, "replay", "state", "--season", ran.log.season, "--tick", "5",
              "--agent", "alice", "--symbol", symbol, env=env)  # fmt: skip
    assert one.returncode == 0, one.stderr
    part = json.loads(one.stdout)["world"]
    assert list(part["accounts"]) == ["alice"]
    assert list(part["companies"]) == [symbol]
    assert all(o["agent_id"] == "alice" and o["symbol"] == symbol for o in part["orders"])


async def test_replay_state_refuses_unknown_season_and_tick_out_of_range_in_one_line(
    nats_url: str, tmp_path: Path
) -> None:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        ran = await run_season(conn.nc, ticks=3)
    env = wss_env(tmp_path, NATS_URL=nats_url)
    for args, says in (
        (("--season", "nosuch", "--tick", "1"), "season 'nosuch' not found"),
        (("--season", ran.log.season, "--tick", "4"), "tick 4 is out of range"),
        (("--season", ran.log.season, "--tick", "-1"), "tick -1 is out of range"),
    ):
        done = wss(tmp_path, "replay", "state", *args, env=env)
        assert done.returncode == 2
        assert done.stdout == ""
        assert says in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
