"""`wss run --config season.toml`: a new season under the file's settings; bad files
are refused in one line."""

import json
from pathlib import Path

import pytest

from tests.fixtures.wss_cli import wss, wss_env

pytestmark = pytest.mark.timeout(120)

FILE = """
rules_version = 1
symbols = 3
fee_bps = 7
open_ticks_per_day = 20
after_hours_ticks = 4

[population]
noise_traders = 5
momentum_traders = 0
"""


def test_wss_run_config_starts_the_season_under_the_file(nats_url: str, tmp_path: Path) -> None:
    env = wss_env(tmp_path, NATS_URL=nats_url)
    path = tmp_path / "season.toml"
    path.write_text(FILE)
    run = wss(tmp_path, "run", "--config", str(path), "--ticks", "3", "--tick-ms", "0",
              "--no-gateway", "--no-projections", env=env, timeout=90)  # fmt: skip
    assert run.returncode == 0, run.stderr
    season = run.stdout.split()[1]
    state = wss(tmp_path, "replay", "state", "--season", season, env=env)
    assert state.returncode == 0, state.stderr
    world = json.loads(state.stdout)["world"]
    assert world["rules_version"] == 1
    assert world["config"]["fee_bps"] == 7
    assert world["config"]["population"]["noise_traders"] == 5
    assert world["config"]["population"]["market_makers"] == 2  # left out: the default
    assert len(world["companies"]) == 3
    assert sum(a.startswith("noise") for a in world["accounts"]) == 5


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("fee_bps = 100000\n", "fee_bps"),
        ("nosuch = 1\n", "nosuch"),
        ("rules_version = 99\n", "rules version 99"),
        ("fee_bps = \n", "config"),
    ],
)
def test_wss_run_refuses_a_bad_config_file_in_one_line(
    nats_url: str, tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    run = wss(tmp_path, "run", "--config", str(path), "--ticks", "1", "--no-gateway",
              "--no-projections", env=wss_env(tmp_path, NATS_URL=nats_url))  # fmt: skip
    assert run.returncode == 2
    assert says in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
