"""``wss report``: a season's scorecard as JSON, an HTML page and PNG plots.

The figures come from the season's tables (``replayer.export``), with these definitions:

- **returns**: per symbol, the log return between the closes of consecutive bars (ticks
  in which the symbol traded); the distribution is over all symbols' returns together.
  ``excess_kurtosis`` is the population m4 / m2^2 - 3 (0 for a normal distribution).
- **autocorrelation** at lag k (1..20): the Pearson correlation of the pairs
  (r_i, r_{i+k}) of each symbol's return series, the pairs of all symbols pooled; the same
  for absolute returns (volatility clustering shows as slowly decaying positive values).
- **volume-volatility**: the Pearson correlation of a bar's volume with its |return|.
- **spread and depth over the day**: the mean quoted spread (ask - bid, cents, where both
  exist) and the mean shares at the best bid plus best ask, by minute of the trading day.
- **P&L**: each agent's equity at the last tick minus its worth when it entered the
  season (`replayer.pnl`), and the sum by role.
- **the SEC** (rules v2): the seeded crooks (accounts whose strategy has an offence,
  ``domain.traders.registry.OFFENCE_OF``) are the truth. ``flagged`` are the agents the
  SEC's surveillance opened a case on (``opened_by == "sec"``), ``convicted`` those any
  case convicted; precision = the share of them that are crooks, recall = the share of
  crooks among them (None when there is nothing to divide by).
"""

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from domain.clock import ticks_per_day
from domain.traders.registry import OFFENCE_OF
from replayer.export import season_tables
from replayer.fold import Progress
from schemas.config import SeasonConfig
from schemas.events import SeasonStarted, parse_event
from wss.errors import WssError
from wss.seasonlog import SeasonLog

LAGS = 20


def returns(bars: pd.DataFrame) -> pd.DataFrame:
    """Bars with ``ret`` (log return from the symbol's previous bar close); first bars
    of each symbol dropped."""
    bars = bars.sort_values(["symbol", "tick"]).copy()
    bars["ret"] = np.log(bars["close"]) - np.log(bars.groupby("symbol")["close"].shift(1))
    return bars.dropna(subset=["ret"])


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3 or float(np.std(x)) == 0 or float(np.std(y)) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def autocorrelation(rets: pd.DataFrame, column: str, lags: int = LAGS) -> list[float | None]:
    out: list[float | None] = []
    for lag in range(1, lags + 1):
        xs, ys = [], []
        for _, series in rets.groupby("symbol")[column]:
            values = series.to_numpy()
            if len(values) > lag:
                xs.append(values[:-lag])
                ys.append(values[lag:])
        out.append(_pearson(np.concatenate(xs), np.concatenate(ys)) if xs else None)
    return out


def _distribution(r: np.ndarray) -> dict[str, Any]:
    if len(r) == 0:
        return {"count": 0}
    centred = r - r.mean()
    m2, m4 = float((centred**2).mean()), float((centred**4).mean())
    m3 = float((centred**3).mean())
    return {
        "count": len(r),
        "mean": float(r.mean()),
        "std": float(np.sqrt(m2)),
        "skew": m3 / m2**1.5 if m2 else None,
        "excess_kurtosis": m4 / m2**2 - 3 if m2 else None,
        "min": float(r.min()),
        "max": float(r.max()),
    }


def scorecard(tables: dict[str, pd.DataFrame], config: SeasonConfig) -> dict[str, Any]:
    rets = returns(tables["bars"])
    rets["abs_ret"] = rets["ret"].abs()
    top = tables["top_of_book"]
    top = top[top["tick"] > 0].copy()
    top["minute"] = (top["tick"] - 1) % ticks_per_day(config)  # domain.clock.minute_of_day
    top = top[top["minute"] < config.open_ticks_per_day]
    quoted = top.dropna(subset=["bid_price", "ask_price"])
    spread = (quoted["ask_price"] - quoted["bid_price"]).groupby(quoted["minute"]).mean()
    depth = (top["bid_size"].fillna(0) + top["ask_size"].fillna(0)).groupby(top["minute"]).mean()
    agents = tables["agents"]
    last = agents[agents["tick"] == agents["tick"].max()]
    return {
        "returns": _distribution(rets["ret"].to_numpy()),
        "autocorrelation": {
            "lags": list(range(1, LAGS + 1)),
            "returns": autocorrelation(rets, "ret"),
            "absolute_returns": autocorrelation(rets, "abs_ret"),
        },
        "volume_volatility_correlation": _pearson(
            rets["volume"].to_numpy(dtype=float), rets["abs_ret"].to_numpy()
        ),
        "intraday": {
            "minute": [int(m) for m in depth.index],
            "mean_spread_cents": [
                float(spread[m]) if m in spread.index else None for m in depth.index
            ],
            "mean_top_depth_shares": [float(v) for v in depth.to_numpy()],
        },
        "pnl_by_role": {str(role): int(v) for role, v in last.groupby("role")["pnl"].sum().items()},
        "pnl_by_agent": {
            str(a): int(v) for a, v in zip(last["agent_id"], last["pnl"], strict=True)
        },
        "sec": sec_score(tables["agents"], tables["cases"]),
        "trades": len(tables["trades"]),
        "ticks": int(agents["tick"].max()) + 1 if len(agents) else 0,
    }


def _ratio(hit: int, total: int) -> float | None:
    return hit / total if total else None


def sec_score(agents: pd.DataFrame, cases: pd.DataFrame) -> dict[str, Any]:
    crooked = {s.value for s in OFFENCE_OF}
    crooks = set(agents.loc[agents["strategy"].isin(crooked), "agent_id"])
    flagged = set(cases.loc[cases["opened_by"] == "sec", "suspect_id"]) if len(cases) else set()
    convicted = (
        set(cases.loc[cases["verdict"] == "convicted", "suspect_id"]) if len(cases) else set()
    )
    return {
        "crooks": len(crooks),
        "cases": len(cases),
        "flagged": len(flagged),
        "precision": _ratio(len(flagged & crooks), len(flagged)),
        "recall": _ratio(len(flagged & crooks), len(crooks)),
        "convicted": len(convicted),
        "conviction_precision": _ratio(len(convicted & crooks), len(convicted)),
        "conviction_recall": _ratio(len(convicted & crooks), len(crooks)),
    }


def _plots(card: dict[str, Any], rets: np.ndarray, out: Path) -> list[str]:
    import matplotlib  # noqa: PLC0415 - only the report draws

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    made = []
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(rets, bins=60)
    ax.set(title="Bar-to-bar log returns", xlabel="return", ylabel="count", yscale="log")
    made.append(_save(fig, out, "returns.png"))
    fig, ax = plt.subplots(figsize=(6, 4))
    acf = card["autocorrelation"]
    for key in ("returns", "absolute_returns"):
        ax.plot(acf["lags"], [np.nan if v is None else v for v in acf[key]], marker="o", label=key)
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set(title="Autocorrelation", xlabel="lag (bars)")
    ax.legend()
    made.append(_save(fig, out, "autocorrelation.png"))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 6), sharex=True)
    day = card["intraday"]
    top.plot(day["minute"], [np.nan if v is None else v for v in day["mean_spread_cents"]])
    top.set(title="Spread and depth over the day", ylabel="spread (cents)")
    bottom.plot(day["minute"], day["mean_top_depth_shares"])
    bottom.set(xlabel="minute of the day", ylabel="shares at best bid + ask")
    made.append(_save(fig, out, "intraday.png"))
    fig, ax = plt.subplots(figsize=(6, 4))
    roles = card["pnl_by_role"]
    ax.bar(list(roles), [v / 100 for v in roles.values()])
    ax.set(title="P&L by role", ylabel="dollars")
    ax.tick_params(axis="x", rotation=30)
    made.append(_save(fig, out, "pnl_by_role.png"))
    return made


def _save(fig: Any, out: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out / name, dpi=90)
    import matplotlib.pyplot as plt  # noqa: PLC0415

    plt.close(fig)
    return name


def _html(season: str, card: dict[str, Any], images: list[str]) -> str:
    r = card["returns"]
    rows = "".join(
        f"<tr><td>{k}</td><td>{v:.6g}</td></tr>" if isinstance(v, float)
        else f"<tr><td>{k}</td><td>{v}</td></tr>"
        for k, v in r.items()
    )  # fmt: skip
    roles = "".join(
        f"<tr><td>{k}</td><td>{v / 100:,.2f}</td></tr>" for k, v in card["pnl_by_role"].items()
    )
    sec = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in card["sec"].items())
    figures = "".join(f'<p><img src="{name}" alt="{name}"></p>' for name in images)
    vv = card["volume_volatility_correlation"]
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Season {season}</title>"
        "</head><body>"
        f"<h1>Season {season}</h1><p>{card['ticks']} ticks, {card['trades']:,} trades</p>"
        f"<h2>Returns</h2><table>{rows}</table>"
        f"<p>volume-volatility correlation: {vv if vv is None else f'{vv:.4f}'}</p>"
        f"<h2>P&amp;L by role (dollars)</h2><table>{roles}</table>"
        f"<h2>The SEC against the seeded crooks</h2><table>{sec}</table>"
        f"{figures}<p>Figures: report.json</p></body></html>"
    )


async def write_report(
    log: SeasonLog, out: Path, progress: Progress | None = None
) -> dict[str, Any]:
    """Write ``report.json``, ``report.html`` and the PNGs into ``out``; returns the card."""
    arrow = await season_tables(log, progress)
    tables = {name: t.to_pandas() for name, t in arrow.items()}
    card = scorecard(tables, await _config(log))
    card["season"] = log.season
    rets = returns(tables["bars"])["ret"].to_numpy()
    return await asyncio.to_thread(_write, log.season, card, rets, out)


def _write(season: str, card: dict[str, Any], rets: np.ndarray, out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    images = _plots(card, rets, out)
    card["images"] = images
    (out / "report.json").write_text(json.dumps(card, indent=1))
    (out / "report.html").write_text(_html(season, card, images))
    return card


async def _config(log: SeasonLog) -> SeasonConfig:
    """The season's configuration at genesis (the day's shape never changes after)."""
    async for page in log.read(log.streams.event_stream, 1, 1):
        genesis = parse_event(page[0].data)
        if isinstance(genesis, SeasonStarted):
            return genesis.config
    raise WssError(f"season {log.season} has no genesis yet")
