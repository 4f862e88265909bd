"""The domain's newsroom (rules version 2): which events make a story, and what it says."""

from __future__ import annotations

from domain.rules import news
from domain.simulate import simulate
from schemas import events as ev
from schemas.config import SeasonConfig
from schemas.enums import NewsCategory

CONFIG = SeasonConfig(symbols=5)


def _stories(seed: int, ticks: int, version: int = 2) -> list[ev.NewsPublished]:
    events = simulate(seed, ticks, CONFIG, rules_version=version)
    return [e for e in events if isinstance(e, ev.NewsPublished)]


def test_version_1_seasons_have_no_news_events() -> None:
    assert _stories(3, 700, version=1) == []


def test_a_v2_season_reports_earnings_moves_and_the_law() -> None:
    stories = _stories(3, 1300)
    categories = {s.category for s in stories}
    assert {NewsCategory.EARNINGS, NewsCategory.MARKET_MOVE, NewsCategory.INVESTIGATION} <= (
        categories
    )
    for s in stories:
        assert len(s.headline.split()) < 15
        assert len(s.summary.split()) < 50
        assert -100 <= s.sentiment <= 100
        assert s.news_id.split(".")[0] == str(s.tick)


def test_news_ids_number_the_stories_of_each_tick_from_one() -> None:
    by_tick: dict[int, list[str]] = {}
    for s in _stories(3, 1300):
        by_tick.setdefault(s.tick, []).append(s.news_id)
    for tick, ids in by_tick.items():
        assert ids == [f"{tick}.{n}" for n in range(1, len(ids) + 1)]


def test_the_same_seed_writes_the_same_news() -> None:
    assert _stories(5, 700) == _stories(5, 700)


def test_earnings_sentiment_follows_the_surprise() -> None:
    events = simulate(3, 1300, CONFIG)
    reports = {(e.tick, e.symbol): e for e in events if isinstance(e, ev.EarningsReported)}
    stories = [
        e for e in events if isinstance(e, ev.NewsPublished) and e.category == NewsCategory.EARNINGS
    ]
    assert len(stories) == len(reports) > 0
    for s in stories:
        report = reports[(s.tick, s.symbols[0])]
        assert s.sentiment == news.clamp(report.surprise_bps // 8)
        assert s.impulse_bps == s.sentiment * news.BPS_PER_POINT
        assert s.source == "EarningsReported"


def test_a_large_move_is_told_once_a_day_per_symbol() -> None:
    config = CONFIG
    day = config.open_ticks_per_day + config.after_hours_ticks
    moves = [s for s in _stories(3, 3000) if s.category == NewsCategory.MARKET_MOVE]
    assert moves
    seen = [((s.tick - 1) // day, s.symbols[0]) for s in moves]
    assert len(seen) == len(set(seen))
    assert all(abs(s.sentiment) >= news.LARGE_MOVE_BPS // 10 for s in moves)


def test_a_rumor_story_starts_no_impulse_of_its_own() -> None:
    rumors = [s for s in _stories(3, 1300) if s.category == NewsCategory.RUMOR]
    assert rumors
    assert all(s.impulse_bps == 0 for s in rumors)


def test_money_reads_in_dollars_and_cents() -> None:
    assert news.dollars(-171) == "-$1.71"
    assert news.dollars(123_456_789) == "$1,234,567.89"
    assert news.percent(-306) == "-3.0%"
    assert news.percent(55) == "+0.5%"
