"""PUBLISH_ARTICLE (rules v2): the newsroom rewrites a story once; bad articles are
refused with their reason and change nothing."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from domain import World
from domain.simulate import simulate
from domain.step import StepInput
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import SeasonConfig
from schemas.enums import NewsCategory, RejectReason

CONFIG = SeasonConfig(symbols=3, open_ticks_per_day=60, after_hours_ticks=0, earnings_every_days=1)
REPORT_TICK = 61  # every company reports: stories 61.1, 61.2, 61.3
HEADLINE = "Traders cheer a blowout quarter"
SUMMARY = "The numbers crush the consensus and the bulls take charge."


def article(news_id: str = "61.1", **changes: object) -> cmd.PublishArticle:
    fields: dict[str, object] = {
        "command_id": cmd.article_command_id(news_id),
        "agent_id": cmd.NEWSROOM_ID,
        "news_id": news_id,
        "headline": HEADLINE,
        "summary": SUMMARY,
        "sentiment": 40,
        "model": "local",
        "prompt_tokens": 120,
        "completion_tokens": 30,
    }
    fields.update(changes)
    return cmd.PublishArticle.model_validate(fields)


def run(articles: Sequence[StepInput], version: int = 2) -> list[ev.EventBase]:
    def feed(_world: World, tick: int) -> list[StepInput]:
        return list(articles) if tick == REPORT_TICK + 1 else []

    return simulate(7, REPORT_TICK + 3, CONFIG, commands=feed, rules_version=version)


def outcome(events: list[ev.EventBase], command_id: str) -> list[ev.EventBase]:
    return [e for e in events if getattr(e, "command_id", None) == command_id]


def test_an_article_rewrites_its_story_and_records_its_tokens() -> None:
    events = run([article()])
    story = next(e for e in events if isinstance(e, ev.NewsPublished) and e.news_id == "61.1")
    assert story.category == NewsCategory.EARNINGS
    (published,) = outcome(events, "article:61.1")
    assert isinstance(published, ev.ArticlePublished)
    assert (published.news_id, published.headline, published.summary) == ("61.1", HEADLINE, SUMMARY)
    assert (published.prompt_tokens, published.completion_tokens, published.model) == (
        120,
        30,
        "local",
    )


def test_an_article_moves_no_price() -> None:
    """The story's impulse stays the template's: the same season without the article
    trades exactly the same."""
    with_article = [e for e in run([article()]) if not isinstance(e, ev.ArticlePublished)]
    without = run([])
    trades = [e for e in with_article if isinstance(e, ev.TradeExecuted)]
    assert trades == [e for e in without if isinstance(e, ev.TradeExecuted)]


def test_a_retried_article_acts_once() -> None:
    events = run([article(), article()])
    first, second = outcome(events, "article:61.1")
    assert isinstance(first, ev.ArticlePublished)
    assert isinstance(second, ev.CommandRejected)
    assert second.reason is RejectReason.ALREADY_REWRITTEN


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (article(agent_id="mallory"), RejectReason.NOT_NEWSROOM),
        (article(command_id="article-61.1"), RejectReason.MALFORMED),
        (article("99.1"), RejectReason.UNKNOWN_STORY),
        (article(headline=" ".join(["word"] * 15)), RejectReason.ARTICLE_INVALID),
        (article(summary=" ".join(["word"] * 50)), RejectReason.ARTICLE_INVALID),
        (article(headline="   "), RejectReason.ARTICLE_INVALID),
        (article(summary="two\nlines"), RejectReason.ARTICLE_INVALID),
    ],
    ids=["not-newsroom", "id-not-derived", "unknown-story", "long-headline", "long-summary",
         "blank-headline", "control-chars"],
)  # fmt: skip
def test_a_bad_article_is_refused_with_its_reason(
    bad: cmd.PublishArticle, reason: RejectReason
) -> None:
    events = run([bad])
    (refused,) = outcome(events, bad.command_id)
    assert isinstance(refused, ev.CommandRejected)
    assert refused.reason is reason
    assert not any(isinstance(e, ev.ArticlePublished) for e in events)


def test_the_schema_refuses_an_out_of_range_sentiment() -> None:
    with pytest.raises(ValueError, match="sentiment"):
        article(sentiment=101)


def test_rules_version_1_has_no_story_to_rewrite() -> None:
    events = run([article()], version=1)
    (refused,) = outcome(events, "article:61.1")
    assert isinstance(refused, ev.CommandRejected)
    assert refused.reason is RejectReason.UNKNOWN_STORY
