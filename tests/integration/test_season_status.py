"""``wss seasons`` and ``wss run --season`` tell the season's state from the lease and
the log, not from the registry the engine writes every 10 ticks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fixtures.wss_cli import spawn, wait_until, wss

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.slow,
    pytest.mark.usefixtures("no_orphaned_server"),
]


def _row(home: Path, season: str) -> tuple[str, int]:
    listed = wss(home, "seasons")
    assert listed.returncode == 0, listed.stderr
    for line in listed.stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == season:
            return fields[1], int(fields[3])
    raise AssertionError(f"{season} not in {listed.stdout}")


def test_seasons_after_a_crash_says_crashed_at_the_last_closed_tick(tmp_path: Path) -> None:
    run = spawn(tmp_path, "run", "--tick-ms", "200", "--no-gateway", "--no-projections")
    try:
        season = run.expect(r"season (\S+) created")[1]
        run.expect(r"^tick +2 ")
        assert _row(tmp_path, season)[0] == "running"
        # Past tick 10 (a registry save) but short of 20, so the registry lags the log.
        run.expect(r"^tick +13 ")
        run.kill()
    finally:
        run.kill()

    verified = wss(tmp_path, "verify", "--season", season)
    assert verified.returncode == 0, verified.stderr
    replayed = re.search(r": (\d+) ticks", verified.stdout)
    assert replayed
    last_tick = int(replayed[1]) - 1  # the replay counts the genesis tick 0
    assert last_tick % 10 != 0  # so the registry holds an older tick
    wait_until(lambda: _row(tmp_path, season)[0] == "crashed", what="the lease to expire")
    assert _row(tmp_path, season) == ("crashed", last_tick)

    resumed = wss(tmp_path, "run", "--season", season, "--ticks", "1", "--tick-ms", "0",
                  "--no-gateway", "--no-projections")  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumes at tick {last_tick}\n" in resumed.stdout
    assert _row(tmp_path, season) == ("stopped", last_tick + 1)
