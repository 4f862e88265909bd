"""RUMOR under rules version 2: a news item that moves the built-in traders' valuation.

A rumor's sentiment is scored from its text (domain/rules/sentiment.py, -100..100). Its
``weight_pct`` is its author's role weight (``ROLE_WEIGHT_PCT``: an influencer's and a
journalist's rumors weigh double) times its credibility, ``(50 + reputation) %`` (the
author's reputation before this rumor: 100% at the starting 50). Its impulse is
``sentiment * BPS_PER_POINT * weight_pct / 100`` basis points.

From the next tick on, the built-in traders value the symbol at fair value shifted by
the sum of its rumors' impulses, each decaying linearly to nothing over ``DECAY_TICKS``
ticks (age a: ``impulse * (DECAY_TICKS - a) / DECAY_TICKS``), the sum clamped to
``±MAX_SHIFT_BPS``. The price moves only through their trades. The world keeps the most
recent ``RUMOR_WINDOW`` rumors (domain/state.py) for this and for the SEC.
"""

from domain.context import Recorder
from domain.outcomes import reject_command
from domain.rules import reputation, sentiment
from domain.state import Account, Company, PublishedRumor, World
from domain.units import BPS
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import RejectReason, Role

BPS_PER_POINT = 3  # a sentiment-100 rumor at weight 100% shifts valuation by 300 bps
DECAY_TICKS = 30
MAX_SHIFT_BPS = 1_000
BASE_WEIGHT_PCT = 100
ROLE_WEIGHT_PCT: dict[Role, int] = {Role.INFLUENCER: 200, Role.FINANCIAL_JOURNALIST: 200}


def weight_pct(account: Account) -> int:
    role = ROLE_WEIGHT_PCT.get(account.role, BASE_WEIGHT_PCT)
    return role * (50 + account.reputation) // 100


def impulse_bps(score: int, weight: int) -> int:
    """The shift a rumor starts; rounds toward zero (int() of a fraction of integers)."""
    return _toward_zero(score * BPS_PER_POINT * weight, 100)


def _toward_zero(a: int, b: int) -> int:
    return a // b if a >= 0 else -(-a // b)


def publish(rec: Recorder, account: Account, c: cmd.Rumor) -> None:
    world = rec.world
    if c.symbol not in world.companies:
        reject_command(rec, c, RejectReason.UNKNOWN_SYMBOL, f"no listed company {c.symbol}")
        return
    score = sentiment.score(c.content)
    weight = weight_pct(account)
    rec.emit(
        ev.RumorPublished(
            tick=rec.tick,
            command_id=c.command_id,
            agent_id=c.agent_id,
            rumor_id=world.next_rumor_id,
            symbol=c.symbol,
            content=c.content,
            sentiment=score,
            weight_pct=weight,
            impulse_bps=impulse_bps(score, weight),
        )
    )
    reputation.adjust(rec, c.agent_id, -reputation.RUMOR_COST, c.type)


def shift_bps(world: World, symbol: str, tick: int) -> int:
    """The current shift of ``symbol``'s valuation, in basis points: its rumors' and its
    news stories' impulses (domain/rules/news.py), each decaying, the sum clamped."""
    total = sum(
        decayed(r.impulse_bps, tick - r.tick) for r in world.rumors if r.symbol == symbol
    ) + sum(decayed(n.impulse_bps, tick - n.tick) for n in world.news if n.symbol == symbol)
    return max(-MAX_SHIFT_BPS, min(MAX_SHIFT_BPS, total))


def decayed(impulse: int, age: int) -> int:
    """What is left of an impulse ``age`` ticks after it started (nothing at age 0)."""
    if not 0 < age < DECAY_TICKS:
        return 0
    return _toward_zero(impulse * (DECAY_TICKS - age), DECAY_TICKS)


def valuation(world: World, company: Company, tick: int) -> int:
    """What the built-in traders take ``company`` to be worth at ``tick``: its fair value,
    shifted by the rumors and news about it (exactly the fair value when there are none)."""
    if not world.rumors and not world.news:
        return company.fair_value
    shift = shift_bps(world, company.symbol, tick)
    return company.fair_value + _toward_zero(company.fair_value * shift, BPS)


def recent(world: World) -> list[PublishedRumor]:
    """The kept rumors, oldest first (what the SEC's pump-and-dump detector reads)."""
    return list(world.rumors)
