"""The editor's pure half: a story's prompt, a model reply read strictly, the command.

A reply is JSON ``{"headline", "summary", "category", "sentiment"}`` (optionally inside a
Markdown code fence). It is refused (``BadReply``) when it is not JSON, not an object,
misses a field, or breaks the limits the domain enforces (a headline of 1 to
``ARTICLE_HEADLINE_WORDS`` words, a summary of 1 to ``ARTICLE_SUMMARY_WORDS``, no control
characters); its sentiment is clipped to -100..100 (a fraction in -1..1 is read as a
hundredth). The command id is derived from the story, so a retry is the same command.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from schemas import commands as cmd
from schemas import events as ev

EDITORIAL_PROMPT = (
    "You are the editor of a Wall Street financial newswire. Rewrite the wire story you "
    "are given: dramatic but believable, in Wall Street jargon, never inventing numbers "
    "or names that are not in it. The headline has fewer than 15 words, the summary fewer "
    "than 50. Answer with JSON only: "
    '{"headline": str, "summary": str, "category": str, "sentiment": int from -100 to 100}.'
)
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


class BadReply(ValueError):
    """A model's reply that cannot become an article: the template stays."""


@dataclass(frozen=True, slots=True)
class Usage:
    """What writing the article took, as the endpoint reported it."""

    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_microdollars: int = 0


def _text(value: str, name: str, most: int) -> str:
    text = " ".join(value.split())
    words = len(text.split())
    if words == 0:
        raise ValueError(f"the {name} is blank")
    if words > most:
        raise ValueError(f"the {name} has {words} words (at most {most})")
    if any(ch < " " or ch == "\x7f" for ch in text):
        raise ValueError(f"the {name} has control characters")
    return text


class Reply(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=False)

    headline: str
    summary: str
    category: str = ""
    sentiment: int

    @field_validator("headline")
    @classmethod
    def _headline(cls, value: str) -> str:
        return _text(value, "headline", cmd.ARTICLE_HEADLINE_WORDS)

    @field_validator("summary")
    @classmethod
    def _summary(cls, value: str) -> str:
        return _text(value, "summary", cmd.ARTICLE_SUMMARY_WORDS)

    @field_validator("sentiment", mode="before")
    @classmethod
    def _clip(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("the sentiment is not a number")
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError("the sentiment is not finite")
            value = round(value * 100) if -1 <= value <= 1 else round(value)
        return max(-100, min(100, int(value)))


def messages(story: ev.NewsPublished) -> list[dict[str, str]]:
    """The chat-completions messages that ask for ``story``'s article."""
    wire = {
        "category": story.category.value,
        "headline": story.headline,
        "summary": story.summary,
        "symbols": story.symbols,
        "agents": story.agent_ids,
        "sentiment": story.sentiment,
    }
    return [
        {"role": "system", "content": EDITORIAL_PROMPT},
        {"role": "user", "content": json.dumps(wire)},
    ]


def parse_reply(text: str) -> Reply:
    """The model's answer, read strictly; ``BadReply`` says why it cannot be used."""
    fenced = _FENCE.match(text)
    body = fenced.group(1) if fenced else text
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise BadReply(f"not JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise BadReply("not a JSON object")
    try:
        return Reply.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadReply(f"{where}: {first['msg']}") from exc


def article_command(story: ev.NewsPublished, reply: Reply, usage: Usage) -> cmd.PublishArticle:
    """The PUBLISH_ARTICLE that rewrites ``story`` (its command id derived from it)."""
    return cmd.PublishArticle(
        command_id=cmd.article_command_id(story.news_id),
        agent_id=cmd.NEWSROOM_ID,
        news_id=story.news_id,
        headline=reply.headline,
        summary=reply.summary,
        sentiment=reply.sentiment,
        model=usage.model[:100],
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cost_microdollars=usage.cost_microdollars,
    )
