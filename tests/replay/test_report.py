"""`wss report`: JSON, HTML and PNGs; its figures equal an independent computation from
the exported trades."""

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from schemas.config import CrookConfig, PopulationConfig, SeasonConfig
from tests.fixtures.wss_cli import wss, wss_env
from tests.replay.seasons import run_season
from wss.bootstrap import nats
from wss.settings import Settings

pytestmark = pytest.mark.timeout(240)
PNG = b"\x89PNG\r\n\x1a\n"
HONEST = ("external", "market_maker", "noise", "momentum", "value")


def _pearson(x: pd.Series, y: pd.Series) -> float:
    return float(x.reset_index(drop=True).corr(y.reset_index(drop=True)))


async def test_report_writes_json_html_pngs_and_its_figures_match_the_trades(
    nats_url: str, tmp_path: Path
) -> None:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        ran = await run_season(conn.nc, ticks=80)
    env = wss_env(tmp_path, NATS_URL=nats_url)
    season, out, tables = ran.log.season, tmp_path / "report", tmp_path / "tables"
    done = wss(tmp_path, "report", "--season", season, "--out", str(out), env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    exported = wss(tmp_path, "export", "--season", season, "--out", str(tables), env=env)
    assert exported.returncode == 0, exported.stderr
    card = json.loads((out / "report.json").read_text())
    assert "<img" in (out / "report.html").read_text()
    for name in card["images"]:
        assert (out / name).read_bytes().startswith(PNG)
    assert len(card["images"]) == 4

    # Independently: a symbol's close in a tick is its last trade's price in that tick.
    trades = pd.read_parquet(tables / "trades.parquet").sort_values("seq")
    closes = trades.groupby(["symbol", "tick"]).agg(
        close=("price", "last"), volume=("quantity", "sum")
    ).reset_index()  # fmt: skip
    closes["ret"] = closes.groupby("symbol")["close"].transform(lambda p: p.apply(math.log).diff())
    rets = closes.dropna(subset=["ret"])
    r = rets["ret"]
    centred = r - r.mean()
    kurtosis = (centred**4).mean() / (centred**2).mean() ** 2 - 3
    assert card["returns"]["count"] == len(r) > 50
    assert card["returns"]["excess_kurtosis"] == pytest.approx(kurtosis, rel=1e-9)
    assert card["returns"]["std"] == pytest.approx(math.sqrt((centred**2).mean()), rel=1e-9)
    for lag in (1, 2, 5):
        pairs = rets.assign(next=rets.groupby("symbol")["ret"].shift(-lag)).dropna(subset=["next"])
        assert card["autocorrelation"]["returns"][lag - 1] == pytest.approx(
            _pearson(pairs["ret"], pairs["next"]), rel=1e-9
        )
        absolute = rets.assign(a=r.abs())
        absolute = absolute.assign(next=absolute.groupby("symbol")["a"].shift(-lag)).dropna(
            subset=["next"]
        )
        assert card["autocorrelation"]["absolute_returns"][lag - 1] == pytest.approx(
            _pearson(absolute["a"], absolute["next"]), rel=1e-9
        )
    assert card["volume_volatility_correlation"] == pytest.approx(
        _pearson(rets["volume"].astype(float), r.abs()), rel=1e-9
    )
    agents = pd.read_parquet(tables / "agents.parquet")
    last = agents[agents["tick"] == 80]
    assert card["pnl_by_agent"]["alice"] == int(last[last["agent_id"] == "alice"]["pnl"].iloc[0])
    assert sum(card["pnl_by_role"].values()) == int(last["pnl"].sum())
    assert len(card["intraday"]["minute"]) == 30  # the open minutes of the day


CROOKED = SeasonConfig(
    symbols=4,
    open_ticks_per_day=60,
    after_hours_ticks=5,
    population=PopulationConfig(
        market_makers=2, noise_traders=6, momentum_traders=2, value_traders=2, crooks=CrookConfig()
    ),
)


async def test_report_scores_the_sec_against_the_seeded_crooks(
    nats_url: str, tmp_path: Path
) -> None:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        ran = await run_season(conn.nc, ticks=200, seed=3, config=CROOKED)
        opened = 0
        async for page in ran.log.read(ran.log.streams.event_stream, 1, 10**9):
            opened += sum(m.subject.endswith(".CaseOpened") for m in page)
    env = wss_env(tmp_path, NATS_URL=nats_url)
    season, out, tables = ran.log.season, tmp_path / "report", tmp_path / "tables"
    assert wss(tmp_path, "report", "--season", season, "--out", str(out), env=env,
               timeout=120).returncode == 0  # fmt: skip
    assert (
        wss(tmp_path, "export", "--season", season, "--out", str(tables), env=env).returncode == 0
    )
    sec = json.loads((out / "report.json").read_text())["sec"]
    cases = pd.read_parquet(tables / "cases.parquet")
    agents = pd.read_parquet(tables / "agents.parquet")
    assert len(cases) == opened == sec["cases"]
    crooks = set(agents[~agents["strategy"].isin(HONEST)]["agent_id"])
    assert sec["crooks"] == len(crooks) >= 5  # one of each kind at least
    flagged = set(cases[cases["opened_by"] == "sec"]["suspect_id"])
    assert sec["flagged"] == len(flagged)
    if flagged:
        assert sec["precision"] == pytest.approx(len(flagged & crooks) / len(flagged))
    assert sec["recall"] == pytest.approx(len(flagged & crooks) / len(crooks))
