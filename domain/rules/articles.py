"""PUBLISH_ARTICLE (rules version 2): the newsroom rewrites the wording of a story.

Only the newsroom (``NEWSROOM_ID``) publishes articles, each under the command id
``article:<news_id>`` (``schemas.commands.article_command_id``) of one of the last
``STORY_MEMORY`` stories, once. Its headline has at most 14 words, its summary at most 49
(and at least one each), no control characters. Accepted, it is an ``ArticlePublished``:
the story now reads that way; its valuation impulse stays the template's, so what a model
writes never moves the market. Anything else is a ``CommandRejected`` with its reason.
"""

from domain.context import Recorder
from domain.outcomes import reject_command
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import RejectReason


def _invalid(c: cmd.PublishArticle) -> str | None:
    for name, text, most in (
        ("headline", c.headline, cmd.ARTICLE_HEADLINE_WORDS),
        ("summary", c.summary, cmd.ARTICLE_SUMMARY_WORDS),
    ):
        words = len(text.split())
        if words == 0:
            return f"the {name} is blank"
        if words > most:
            return f"the {name} has {words} words (at most {most})"
        if any(ch < " " or ch == "\x7f" for ch in text):
            return f"the {name} has control characters"
    return None


def publish(rec: Recorder, c: cmd.PublishArticle) -> None:
    world = rec.world
    problem = _invalid(c)
    expected = cmd.article_command_id(c.news_id)
    if c.agent_id != cmd.NEWSROOM_ID:
        reject_command(rec, c, RejectReason.NOT_NEWSROOM, "articles come from the newsroom")
    elif c.command_id != expected:
        reject_command(rec, c, RejectReason.MALFORMED, f"the command id must be {expected}")
    elif c.news_id not in world.stories:
        reject_command(rec, c, RejectReason.UNKNOWN_STORY, f"no recent story {c.news_id}")
    elif world.stories[c.news_id]:
        detail = f"story {c.news_id} has been rewritten"
        reject_command(rec, c, RejectReason.ALREADY_REWRITTEN, detail)
    elif problem is not None:
        reject_command(rec, c, RejectReason.ARTICLE_INVALID, problem)
    else:
        rec.emit(
            ev.ArticlePublished(
                tick=rec.tick,
                command_id=c.command_id,
                agent_id=c.agent_id,
                news_id=c.news_id,
                headline=c.headline,
                summary=c.summary,
                sentiment=c.sentiment,
                model=c.model,
                prompt_tokens=c.prompt_tokens,
                completion_tokens=c.completion_tokens,
                cost_microdollars=c.cost_microdollars,
            )
        )


def refuse_v1(rec: Recorder, c: cmd.PublishArticle) -> None:
    """Rules version 1 has no news to rewrite."""
    reject_command(rec, c, RejectReason.UNKNOWN_STORY, "rules version 1 publishes no news")
