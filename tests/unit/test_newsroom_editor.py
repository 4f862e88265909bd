"""The newsroom editor's pure half: a model's reply read strictly, and the command it
becomes, which the domain accepts as an article (rules v2)."""

from __future__ import annotations

import json

import pytest

from domain import World
from domain.simulate import simulate
from domain.step import StepInput
from newsroom import editor
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import SeasonConfig
from schemas.enums import NewsCategory

GOOD = {
    "headline": "Bolt blows past the Street as bulls stampede",
    "summary": "A monster quarter leaves the bears licking their wounds.",
    "category": "earnings",
    "sentiment": 70,
}
STORY = ev.NewsPublished(
    tick=61, news_id="61.1", category=NewsCategory.EARNINGS, headline="BOLT smashes estimates",
    summary="A +4.0% surprise.", symbols=["BOLT"], sentiment=50, impulse_bps=100,
    source="EarningsReported",
)  # fmt: skip


def test_a_good_reply_is_read() -> None:
    reply = editor.parse_reply(json.dumps(GOOD))
    assert (reply.headline, reply.summary, reply.sentiment) == (
        GOOD["headline"],
        GOOD["summary"],
        70,
    )


def test_a_fenced_reply_is_read() -> None:
    assert editor.parse_reply(f"```json\n{json.dumps(GOOD)}\n```").sentiment == 70


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({**GOOD, "headline": " ".join(["big"] * 15)}), "15 words"),
        (json.dumps({**GOOD, "summary": " ".join(["big"] * 50)}), "50 words"),
        (json.dumps({**GOOD, "headline": "  "}), "blank"),
        (json.dumps({**GOOD, "summary": "bell\x07 rings"}), "control characters"),
        (json.dumps({**GOOD, "sentiment": "very"}), "not a number"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "summary"}), "summary"),
    ],
    ids=["bad-json", "not-object", "long-headline", "long-summary", "blank", "control",
         "sentiment-text", "missing"],
)  # fmt: skip
def test_a_bad_reply_is_refused(text: str, why: str) -> None:
    with pytest.raises(editor.BadReply, match=why):
        editor.parse_reply(text)


@pytest.mark.parametrize(("given", "clipped"), [(250, 100), (-400, -100), (0.42, 42), (-1.0, -100)])
def test_the_sentiment_is_clipped(given: float, clipped: int) -> None:
    assert editor.parse_reply(json.dumps({**GOOD, "sentiment": given})).sentiment == clipped


def test_the_prompt_carries_the_story_and_the_limits() -> None:
    system, user = editor.messages(STORY)
    assert "fewer than 15 words" in system["content"]
    assert json.loads(user["content"])["headline"] == "BOLT smashes estimates"


def test_the_command_is_derived_from_the_story_and_the_domain_accepts_it() -> None:
    reply = editor.parse_reply(json.dumps(GOOD))
    usage = editor.Usage(model="local", prompt_tokens=200, completion_tokens=40)
    command = editor.article_command(STORY, reply, usage)
    assert command == editor.article_command(STORY, reply, usage)  # a retry is the same
    assert (command.command_id, command.agent_id) == ("article:61.1", cmd.NEWSROOM_ID)
    config = SeasonConfig(
        symbols=3, open_ticks_per_day=60, after_hours_ticks=0, earnings_every_days=1
    )

    def feed(_world: World, tick: int) -> list[StepInput]:
        return [command] if tick == 62 else []

    events = simulate(7, 63, config, commands=feed)
    (published,) = [e for e in events if isinstance(e, ev.ArticlePublished)]
    assert (published.news_id, published.headline, published.prompt_tokens) == (
        "61.1",
        GOOD["headline"],
        200,
    )
