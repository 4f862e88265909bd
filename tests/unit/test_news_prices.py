"""News moves its symbols' prices through the built-in traders' trades.

The same seeded season (rules version 2) is run twice: as it is, and with the news'
valuation impulse off (``news.BPS_PER_POINT = 0``: the same stories, moving nothing). The
dice of a tick depend only on (seed, tick), and the earnings surprise (hence the fair
value's jump) is the same in both, so the difference is the story's. Every company
reports at the first open after the genesis day; over 10 seeds, a positive earnings story
leaves its symbol higher ``AFTER`` ticks later than the same season without the impulse,
on average, and a negative one lower. No price is set by fiat: every close is traded.
"""

from __future__ import annotations

from statistics import mean

import pytest

from domain.rules import news
from domain.simulate import simulate
from schemas import events as ev
from schemas.config import SeasonConfig
from schemas.enums import NewsCategory

CONFIG = SeasonConfig(symbols=3, open_ticks_per_day=60, after_hours_ticks=0, earnings_every_days=1)
SEEDS = range(10)
REPORT_TICK = 61  # the open of day 1: every company reports
AFTER = 20


def _season(seed: int) -> tuple[dict[str, int], dict[str, dict[int, int]]]:
    """Each earnings story's sentiment by symbol, and each symbol's closes by tick."""
    events = simulate(seed, REPORT_TICK + AFTER, CONFIG)
    stories = {
        e.symbols[0]: e.sentiment
        for e in events
        if isinstance(e, ev.NewsPublished) and e.category == NewsCategory.EARNINGS
    }
    closes: dict[str, dict[int, int]] = {}
    traded: set[tuple[str, int]] = set()
    for e in events:
        if isinstance(e, ev.BarClosed):
            closes.setdefault(e.symbol, {})[e.tick] = e.close
        elif isinstance(e, ev.TradeExecuted):
            traded.add((e.symbol, e.price))
    assert all((s, c) in traded for s, by in closes.items() for c in by.values())
    return stories, closes


def _move_bps(closes: dict[int, int]) -> int:
    at = closes[max(t for t in closes if t <= REPORT_TICK)]
    return (closes[max(closes)] - at) * 10_000 // at


@pytest.fixture(scope="module")
def lifts() -> dict[int, list[int]]:
    """The lift the story gave, in bps, by the sign of its sentiment (+1, -1)."""
    out: dict[int, list[int]] = {1: [], -1: []}
    for seed in SEEDS:
        stories, closes = _season(seed)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(news, "BPS_PER_POINT", 0)
            quiet_stories, quiet = _season(seed)
        assert quiet_stories == stories  # the same stories, only their impulse differs
        for symbol, sentiment in stories.items():
            if abs(sentiment) >= 20:  # a real surprise, an impulse of 40 bps or more
                lift = _move_bps(closes[symbol]) - _move_bps(quiet[symbol])
                out[1 if sentiment > 0 else -1].append(lift)
    return out


def test_every_listed_company_gets_an_earnings_story() -> None:
    stories, _ = _season(0)
    assert len(stories) == CONFIG.symbols


def test_positive_earnings_news_moves_its_symbol_up_on_average(
    lifts: dict[int, list[int]],
) -> None:
    assert len(lifts[1]) >= 5
    assert mean(lifts[1]) > 30  # 0.3% on average
    assert sum(x > 0 for x in lifts[1]) * 3 >= len(lifts[1]) * 2


def test_negative_earnings_news_moves_its_symbol_down_on_average(
    lifts: dict[int, list[int]],
) -> None:
    assert len(lifts[-1]) >= 5
    assert mean(lifts[-1]) < -30
    assert sum(x < 0 for x in lifts[-1]) * 3 >= len(lifts[-1]) * 2
