"""The newsroom's templates (rules version 2): what the tick decided, told as news.

At the end of each tick (after justice, before the summaries) every significant event of
the tick gets a story, a ``NewsPublished``, in the order the events were decided. Its
``news_id`` is ``'<tick>.<n>'``, the n-th story of the tick. Its sentiment (-100..100):

- earnings: ``surprise_bps // 8`` (an 8% surprise is +/-100); in line below 1%
- a large move: the first time in a day a symbol trades ``LARGE_MOVE_BPS`` (5%) or more
  away from the day's open: ``move_bps // 10``
- a bankruptcy -80; a forced liquidation -30 (one story per agent per tick)
- a regime change: ``REGIME_SENTIMENT``; a rumor: its scored sentiment
- an alliance 0; a case opened -30, a charge -50; a conviction -60, an acquittal or
  dismissal +20, a settlement -20; prison -60; flight -70 (a failed flight -40)

A story about a symbol (earnings, a move, a liquidation, and a case, verdict, prison or
flight of the company's CEO) starts an impulse of ``sentiment * BPS_PER_POINT`` basis
points on the built-in traders' valuation of that symbol, decaying exactly like a rumor's
(domain/rules/rumors.py: linearly over 30 ticks, the sum clamped to +/-10%). A rumor's story
starts none: the rumor has its own. Market-wide stories (regimes) move no valuation.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from domain import clock
from domain.context import Recorder
from domain.state import World
from domain.units import BPS
from schemas import events as ev
from schemas.enums import NewsCategory, Regime, Verdict

BPS_PER_POINT = 2  # a sentiment-100 story shifts its symbols' valuation by 200 bps
LARGE_MOVE_BPS = 500  # a symbol 5% away from the day's open makes the news, once a day
EARNINGS_IN_LINE_BPS = 100
HEADLINE_WORDS, SUMMARY_WORDS = 14, 49  # longer texts are cut (with "...")
REGIME_SENTIMENT: dict[Regime, int] = {
    Regime.NORMAL: 10,
    Regime.BULL: 50,
    Regime.BEAR: -50,
    Regime.CRASH: -90,
    Regime.BUBBLE: 40,
}
VERDICT_SENTIMENT: dict[Verdict, int] = {
    Verdict.CONVICTED: -60,
    Verdict.ACQUITTED: 20,
    Verdict.SETTLED: -20,
    Verdict.DISMISSED: 20,
}
NO_IMPULSE = frozenset({NewsCategory.RUMOR, NewsCategory.REGIME, NewsCategory.ALLIANCE})


@dataclass(frozen=True, slots=True)
class Story:
    category: NewsCategory
    headline: str
    summary: str
    sentiment: int
    symbols: list[str] = field(default_factory=list)
    agent_ids: list[str] = field(default_factory=list)
    source: str = ""  # the type of the event reported


def clamp(points: int) -> int:
    return max(-100, min(100, points))


def dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"


def percent(bps: int) -> str:
    sign = "+" if bps > 0 else "-" if bps < 0 else ""
    whole, part = divmod(abs(bps), 100)
    return f"{sign}{whole}.{part // 10}%"


def _offence(value: str) -> str:
    return value.replace("_", " ")


def _earnings(world: World, e: ev.EarningsReported) -> Story:
    name = world.companies[e.symbol].name
    surprise = e.surprise_bps
    if surprise >= EARNINGS_IN_LINE_BPS:
        headline = f"{e.symbol} smashes estimates as Q{e.quarter} EPS hits {dollars(e.eps)}"
        mood = "Bulls pile in; the Street's models look too timid."
    elif surprise <= -EARNINGS_IN_LINE_BPS:
        headline = f"{e.symbol} misses badly: Q{e.quarter} EPS {dollars(e.eps)}"
        mood = "Analysts slash targets as the bears circle."
    else:
        headline = f"{e.symbol} reports Q{e.quarter} in line with the Street"
        mood = "No fireworks; traders shrug and look for the next catalyst."
    summary = (
        f"{name} posts revenue of {dollars(e.revenue)} and profit of {dollars(e.profit)}, "
        f"a {percent(surprise)} surprise. {mood}"
    )
    return Story(NewsCategory.EARNINGS, headline, summary, clamp(surprise // 8), [e.symbol])


def _moves(world: World, rec: Recorder) -> Iterator[Story]:
    """The symbols that crossed ``LARGE_MOVE_BPS`` from the day's open for the first time
    today (a story about a move of the symbol since the day's opening tick is enough)."""
    config = world.config
    opened = rec.tick - clock.minute_of_day(rec.tick, config)
    told = {
        n.symbol
        for n in world.news
        if n.category == NewsCategory.MARKET_MOVE.value and n.tick >= opened
    }
    for symbol in rec.bars:
        company = world.companies[symbol]
        if symbol in told or company.day_open <= 0:
            continue
        move = (company.last_price - company.day_open) * BPS // company.day_open
        if abs(move) < LARGE_MOVE_BPS:
            continue
        if move > 0:
            headline = f"{symbol} rockets {percent(move)} as buyers stampede in"
            mood = "Momentum desks chase; shorts scramble to cover."
        else:
            headline = f"{symbol} plunges {percent(-move)}, sellers overwhelm the bid"
            mood = "Stop-losses trip and dip buyers stay on the sidelines."
        summary = (
            f"{company.name} trades at {dollars(company.last_price)}, {percent(move)} from "
            f"the open of {dollars(company.day_open)}. {mood}"
        )
        yield Story(
            NewsCategory.MARKET_MOVE,
            headline,
            summary,
            clamp(move // 10),
            [symbol],
            [],
            "TradeExecuted",
        )


_VERDICT_HEADLINE: dict[Verdict, str] = {
    Verdict.CONVICTED: "Guilty: {who} convicted of {what}",
    Verdict.ACQUITTED: "{who} walks: acquitted of {what}",
    Verdict.SETTLED: "{who} settles {what} charges with regulators",
    Verdict.DISMISSED: "{what} case against {who} dismissed",
}


def _ceo_symbols(world: World, agent_id: str) -> list[str]:
    company = world.ceo_of.get(agent_id)
    return [company] if company is not None else []


def _legal(world: World, e: ev.EventBase) -> Story | None:
    match e:
        case ev.CaseOpened():
            return Story(
                NewsCategory.INVESTIGATION,
                f"SEC opens {_offence(e.offence)} probe into {e.suspect_id}",
                f"Regulators are digging into {e.suspect_id}'s trading: {_short(e.reason)} "
                "Lawyers are lawyering up.",
                -30,
                _ceo_symbols(world, e.suspect_id),
                [e.suspect_id],
            )
        case ev.SuspectCharged():
            return Story(
                NewsCategory.INVESTIGATION,
                f"{e.suspect_id} charged with {_offence(e.offence)}",
                f"Prosecutors bring charges against {e.suspect_id}; trial set for tick "
                f"{e.trial_tick}. The evidence stands at {e.strength} of 100.",
                -50,
                _ceo_symbols(world, e.suspect_id),
                [e.suspect_id],
            )
        case ev.VerdictReached():
            return Story(
                NewsCategory.VERDICT,
                _VERDICT_HEADLINE[e.verdict].format(who=e.suspect_id, what=_offence(e.offence)),
                f"The court rules in the {_offence(e.offence)} case against {e.suspect_id}: "
                f"{e.verdict.value}, fine {dollars(e.fine)}, {e.prison_ticks} ticks in prison.",
                VERDICT_SENTIMENT[e.verdict],
                _ceo_symbols(world, e.suspect_id),
                [e.suspect_id],
            )
        case ev.AgentImprisoned():
            return Story(
                NewsCategory.PRISON,
                f"{e.agent_id} led away in handcuffs",
                f"{e.agent_id} goes to prison until tick {e.release_tick}: {_short(e.reason)} "
                "Their desk goes dark.",
                -60,
                _ceo_symbols(world, e.agent_id),
                [e.agent_id],
            )
        case ev.AgentFled():
            return Story(
                NewsCategory.FLIGHT,
                f"{e.agent_id} flees to {e.destination} one step ahead of the law",
                f"{e.agent_id} skips town for {e.destination} and leaves the market behind. "
                "Creditors and prosecutors are left holding the bag.",
                -70,
                _ceo_symbols(world, e.agent_id),
                [e.agent_id],
            )
        case ev.FlightFailed():
            return Story(
                NewsCategory.FLIGHT,
                f"{e.agent_id} caught trying to flee to {e.destination}",
                f"Agents stop {e.agent_id} at the border, bound for {e.destination}: "
                f"{_short(e.reason)}",
                -40,
                _ceo_symbols(world, e.agent_id),
                [e.agent_id],
            )
    return None


def _story(world: World, e: ev.EventBase) -> Story | None:
    match e:
        case ev.EarningsReported():
            return _earnings(world, e)
        case ev.AgentBankrupted():
            return Story(
                NewsCategory.BANKRUPTCY,
                f"{e.agent_id} goes bust, wiped out by the market",
                f"{e.agent_id} is bankrupt with a net worth of {dollars(e.net_worth)}. "
                "Another cautionary tale about leverage.",
                -80,
                agent_ids=[e.agent_id],
            )
        case ev.RegimeChanged():
            regime = e.regime.value
            return Story(
                NewsCategory.REGIME,
                f"Market regime turns {regime}: the Street braces",
                f"The tape has changed character: the market is now in a {regime} regime. "
                "Strategists rewrite their outlooks overnight.",
                REGIME_SENTIMENT[e.regime],
            )
        case ev.RumorPublished():
            return Story(
                NewsCategory.RUMOR,
                f"Whispers on the floor about {e.symbol}",
                f'{e.agent_id} is talking up a story on {e.symbol}: "{_short(e.content)}"',
                e.sentiment,
                [e.symbol],
                [e.agent_id],
            )
        case ev.AllianceFormed():
            return Story(
                NewsCategory.ALLIANCE,
                f"{e.target_agent_id} and {e.agent_id} join forces",
                f"{e.target_agent_id} and {e.agent_id} strike an alliance. "
                "Rivals wonder what the pair is cooking up.",
                0,
                agent_ids=[e.target_agent_id, e.agent_id],
            )
    return _legal(world, e)


def _short(text: str, words: int = 15) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("..." if len(parts) > words else "")


def _liquidations(events: list[ev.EventBase]) -> Iterator[Story]:
    """One story per liquidated agent, naming the symbols sold, in the order they were."""
    sold: dict[str, dict[str, None]] = {}
    for e in events:
        if isinstance(e, ev.PositionLiquidated):
            sold.setdefault(e.agent_id, {})[e.symbol] = None
    for agent, symbols in sold.items():
        names = ", ".join(symbols)
        yield Story(
            NewsCategory.LIQUIDATION,
            f"Margin call: {agent} forced to dump {names}",
            f"The desk liquidates {agent}'s positions in {names} after a missed margin call. "
            "Forced sellers make for ugly prints.",
            -30,
            list(symbols),
            [agent],
            "PositionLiquidated",
        )


def _stories(world: World, rec: Recorder) -> Iterator[Story]:
    events = list(rec.events)
    for e in events:
        story = _story(world, e)
        if story is not None:
            yield replace(story, source=e.type)
    yield from _liquidations(events)
    yield from _moves(world, rec)


def impulse_bps(story: Story) -> int:
    if story.category in NO_IMPULSE or not story.symbols:
        return 0
    return story.sentiment * BPS_PER_POINT


def publish(rec: Recorder) -> None:
    """Rules v2, at the end of the tick: a ``NewsPublished`` for each story of the tick."""
    stories = list(_stories(rec.world, rec))
    for n, story in enumerate(stories, start=1):
        rec.emit(
            ev.NewsPublished(
                tick=rec.tick,
                news_id=f"{rec.tick}.{n}",
                category=story.category,
                headline=_short(story.headline, HEADLINE_WORDS),
                summary=_short(story.summary, SUMMARY_WORDS),
                symbols=story.symbols,
                agent_ids=story.agent_ids,
                sentiment=story.sentiment,
                impulse_bps=impulse_bps(story),
                source=story.source,
            )
        )
