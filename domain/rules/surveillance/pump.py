"""Pump and dump: the author of a rumor on a symbol bought it before the rumor and
sells it after, into the rise the rumor was meant to cause."""

from collections.abc import Iterator

from domain.rules.surveillance.findings import Finding, confidence, distinct_ticks
from domain.rules.surveillance.windows import Surveillance, Trade, seen_id
from schemas.enums import Offence

PUMP_BEFORE_TICKS = 120  # buys this many ticks before the rumor
PUMP_AFTER_TICKS = 120  # sells this many ticks after it
PUMP_MIN_NOTIONAL = 10_000_000  # cents ($100k) bought before
PUMP_MIN_SOLD_PCT = 50  # ... and at least this share of it sold after


def detect(sec: Surveillance, tick: int) -> Iterator[Finding]:
    if not sec.rumors:
        return
    for seller, symbol in sec.tick_sellers:
        rumored = sec.rumors.get((seller, symbol))
        if rumored is None or tick - rumored > PUMP_AFTER_TICKS:
            continue
        finding = _dump(sec, seller, symbol, rumored, tick)
        if finding is not None:
            yield finding


def _dump(sec: Surveillance, agent: str, symbol: str, rumored: int, tick: int) -> Finding | None:
    seen = seen_id(sec, agent, Offence.PUMP_AND_DUMP, symbol)
    buys: list[Trade] = []
    sells: list[Trade] = []
    for t in sec.trades.get(agent, ()):
        if t.symbol != symbol or t.trade_id <= seen:
            continue
        if t.buyer_id == agent and rumored - PUMP_BEFORE_TICKS <= t.tick <= rumored:
            buys.append(t)
        elif t.seller_id == agent and rumored <= t.tick:
            sells.append(t)
    bought = sum(t.quantity for t in buys)
    sold = sum(t.quantity for t in sells)
    notional = sum(t.price * t.quantity for t in buys)
    if notional < PUMP_MIN_NOTIONAL or sold * 100 < bought * PUMP_MIN_SOLD_PCT:
        return None
    bought_at = notional // bought
    sold_at = sum(t.price * t.quantity for t in sells) // sold
    rise = sold_at > bought_at
    return Finding(
        offence=Offence.PUMP_AND_DUMP,
        suspect_id=agent,
        symbol=symbol,
        confidence_pct=confidence(60, 15 if rise else 0),
        reason=(
            f"{agent} bought {bought} {symbol} at {bought_at} before its rumor at tick "
            f"{rumored}, then sold {sold} at {sold_at}"
        ),
        trade_ids=[t.trade_id for t in buys + sells],
        ticks=distinct_ticks([t.tick for t in buys + sells] + [rumored]),
    )
