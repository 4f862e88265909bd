"""Insider trading: a company's CEO (``World.ceo_of``), or an agent that CEO messaged,
traded it ahead of its earnings in the direction of the surprise, above a notional."""

from collections.abc import Iterator

from domain.rules.surveillance.findings import Finding, confidence, distinct_ticks
from domain.rules.surveillance.windows import Surveillance, seen_id
from domain.state import World
from schemas.enums import Offence

INSIDER_BEFORE_TICKS = 630  # trades this many ticks before the report (a default day)
INSIDER_TIP_TICKS = 630  # a CEO's message makes its target an insider for this long
INSIDER_MIN_SURPRISE_BPS = 100  # only a surprise of at least 1% is worth trading on
INSIDER_MIN_NOTIONAL = 25_000_000  # cents ($250k) traded in the surprise's direction


def _insiders(world: World, symbol: str, tick: int) -> dict[str, str | None]:
    """Who may know ``symbol``'s earnings: its CEO (None), and each agent its CEO sent a
    message to lately (the CEO), read from the social message window."""
    out: dict[str, str | None] = {a: None for a, s in world.ceo_of.items() if s == symbol}
    if out:
        for message in world.messages:
            if (
                message.sender in out
                and out[message.sender] is None
                and tick - message.tick <= INSIDER_TIP_TICKS
                and message.target not in out
            ):
                out[message.target] = message.sender
    return out


def detect(sec: Surveillance, world: World, tick: int) -> Iterator[Finding]:
    for symbol, surprise in sec.tick_reports:
        if abs(surprise) < INSIDER_MIN_SURPRISE_BPS:
            continue
        for agent, tipper in _insiders(world, symbol, tick).items():
            finding = _ahead(sec, agent, tipper, symbol, surprise=surprise, tick=tick)
            if finding is not None:
                yield finding


def _ahead(
    sec: Surveillance, agent: str, tipper: str | None, symbol: str, *, surprise: int, tick: int
) -> Finding | None:
    up = surprise > 0
    seen = seen_id(sec, agent, Offence.INSIDER_TRADING, symbol)
    net = notional = 0
    aligned = []
    for t in sec.trades.get(agent, ()):
        if t.symbol != symbol or t.trade_id <= seen or tick - t.tick > INSIDER_BEFORE_TICKS:
            continue
        bought = t.buyer_id == agent
        net += t.quantity if bought else -t.quantity
        if bought == up:
            aligned.append(t)
            notional += t.price * t.quantity
    if not aligned or (net > 0) != up or net == 0 or notional < INSIDER_MIN_NOTIONAL:
        return None
    how = "bought" if up else "sold"
    who = agent if tipper is None else f"{agent} (messaged by CEO {tipper})"
    return Finding(
        offence=Offence.INSIDER_TRADING,
        suspect_id=agent,
        accomplice_ids=[] if tipper is None else [tipper],
        symbol=symbol,
        confidence_pct=confidence(60, min(30, abs(surprise) // 50) + (5 if tipper else 0)),
        reason=(
            f"{who} {how} ${notional // 100:,} of {symbol} in the "
            f"{INSIDER_BEFORE_TICKS} ticks before its earnings surprise of {surprise:+} bps"
        ),
        trade_ids=[t.trade_id for t in aligned],
        ticks=distinct_ticks([t.tick for t in aligned] + [tick]),
    )
