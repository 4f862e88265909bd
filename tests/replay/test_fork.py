"""`wss replay fork`: the original to tick T, then new rules over the recorded commands."""

import json
from pathlib import Path

import pytest

from replayer.fold import fold
from replayer.fork import fork_season
from replayer.verify import verify
from tests.fixtures.wss_cli import wss, wss_env
from tests.replay.seasons import run_season
from wss.bootstrap import nats
from wss.seasonlog import SeasonLog, list_seasons
from wss.settings import Settings

pytestmark = pytest.mark.timeout(180)
AT = 8


async def _events(log: SeasonLog) -> list[bytes]:
    out: list[bytes] = []
    async for page in log.read(
        log.streams.event_stream, 1, await log.last_seq(log.streams.event_stream)
    ):
        out.extend(m.data for m in page)
    return out


def _money(world: object) -> int:
    accounts = world.accounts.values()  # type: ignore[attr-defined]
    return sum(a.cash for a in accounts) + sum(world.house.values())  # type: ignore[attr-defined]


async def test_fork_with_unchanged_rules_is_the_original_event_for_event(
    nats_url: str, tmp_path: Path
) -> None:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        ran = await run_season(conn.nc, ticks=20)
        report = await fork_season(conn.nc, nats_url, ran.log, AT)
        fork = SeasonLog(conn.nc, report.fork)
        assert report.first_divergent_tick is None
        assert report.last_tick == 20
        assert await _events(fork) == await _events(ran.log)  # every event, every hash
        verdict = await verify(fork)
        assert verdict.ok, verdict.divergence
        assert verdict.final_hash == ran.hashes[-1]
        assert all(p["original"] == p["fork"] for p in report.pnl.values())
        listed = {s.season: s for s in await list_seasons(conn.nc)}
        assert listed[report.fork].tick == 20
        assert listed[report.fork].state_hash == ran.hashes[-1]


async def test_fork_with_a_changed_fee_diverges_after_t_and_conserves_money(
    nats_url: str, tmp_path: Path
) -> None:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        ran = await run_season(conn.nc, ticks=20)
        report = await fork_season(
            conn.nc, nats_url, ran.log, AT, changes={"fee_bps": 80}, drop_agents=("bob",)
        )
        fork = SeasonLog(conn.nc, report.fork)
        assert report.first_divergent_tick == AT + 1
        original, forked = (await fold(ran.log)).world, (await fold(fork)).world
        assert forked.config.fee_bps == 80
        assert _money(forked) == _money(original)  # fees move money, never make it
        assert forked.house["house:fees"] > original.house["house:fees"]
        assert any(p["original"] != p["fork"] for p in report.pnl.values())
        verdict = await verify(fork)  # the fee change is on the fork's own log
        assert verdict.ok, verdict.divergence
        # The ticks up to T are the original's; after T, the change, then no bob.
        cut = (await fold(ran.log, until_tick=AT)).world.last_command_seq
        after = [
            c
            for _, c in await fork.commands(
                cut + 1, await fork.last_seq(fork.streams.command_stream)
            )
        ]
        assert after[0].type == "CONFIGURE_SEASON"
        assert after[1:]
        assert all(c.agent_id != "bob" for c in after)
        assert (await fold(fork, until_tick=AT)).last_hash == ran.hashes[AT]
        prices = report.prices[next(iter(report.prices))]
        assert [p[0] for p in prices] == list(range(AT, 21))
        assert prices[0][1] == prices[0][2]  # at T the same price, then each its own path


async def test_wss_replay_fork_cli_reports_json_and_the_fork_verifies(
    nats_url: str, tmp_path: Path
) -> None:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        ran = await run_season(conn.nc, ticks=12)
    env = wss_env(tmp_path, NATS_URL=nats_url)
    season = ran.log.season
    done = wss(tmp_path, "replay", "fork", "--season", season, "--at", "5",
               "--set", "fee_bps=40", "--json", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["first_divergent_tick"] == 6
    assert report["changes"] == {"fee_bps": 40}
    assert set(report["pnl"]) >= {"alice", "bob"}
    checked = wss(tmp_path, "verify", "--season", report["fork"], env=env)
    assert checked.returncode == 0, checked.stderr
    text = wss(tmp_path, "replay", "fork", "--season", season, "--at", "5", env=env)
    assert "identical to the original through tick 12" in text.stdout
    for args, says in (
        (("--at", "13"), "tick 13 is out of range"),
        (("--at", "5", "--set", "symbols=9"), "fixed at genesis"),
        (("--at", "5", "--set", "nosuch=1"), "no such config field"),
    ):
        bad = wss(tmp_path, "replay", "fork", "--season", season, *args, env=env)
        assert bad.returncode == 2, bad.stdout
        assert says in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1
