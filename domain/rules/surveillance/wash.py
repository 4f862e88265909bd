"""Wash trading: two accounts trading the same symbol back and forth with each other
until neither's position has changed; allies (``domain.rules.alliances``) are more
suspect, since their trades with each other are collusion when they are washes."""

from collections.abc import Iterator

from domain.rules.alliances import allied
from domain.rules.surveillance.findings import Finding, confidence, distinct_ticks
from domain.rules.surveillance.windows import Surveillance, Trade, seen_id
from domain.state import World
from domain.units import BPS
from schemas.enums import Offence

WASH_MIN_TRADES = 6  # mutual trades, in both directions
WASH_TICKS = 30  # ... all within this many ticks
WASH_NET_PCT = 10  # ... leaving the pair's net flow at most this share of the gross
WASH_PRICE_BPS = 5  # ... bought back at (within this of) the price sold: no spread paid
WASH_MIN_NOTIONAL = 100_000_000  # cents ($1M) traded between them


def detect(sec: Surveillance, world: World, tick: int) -> Iterator[Finding]:
    for key in sec.tick_pairs:
        window = sec.pairs.get(key)
        if window is None or len(window) < WASH_MIN_TRADES:
            continue
        low, high, symbol = key
        seen = seen_id(sec, low, Offence.WASH_TRADING, symbol)
        trades = [t for t in window if t.trade_id > seen and tick - t.tick <= WASH_TICKS]
        finding = _wash(low, high, symbol, trades, allies=allied(world, low, high))
        if finding is not None:
            yield finding


def _wash(low: str, high: str, symbol: str, trades: list[Trade], *, allies: bool) -> Finding | None:
    if len(trades) < WASH_MIN_TRADES:
        return None
    bought = sold = bought_value = sold_value = 0
    for t in trades:
        if t.buyer_id == low:
            bought += t.quantity
            bought_value += t.price * t.quantity
        else:
            sold += t.quantity
            sold_value += t.price * t.quantity
    net, gross, notional = bought - sold, bought + sold, bought_value + sold_value
    if not (bought and sold) or abs(net) * 100 > gross * WASH_NET_PCT:
        return None
    bought_at, sold_at = bought_value // bought, sold_value // sold
    if notional < WASH_MIN_NOTIONAL or abs(bought_at - sold_at) * BPS > WASH_PRICE_BPS * sold_at:
        return None
    return Finding(
        offence=Offence.WASH_TRADING,
        suspect_id=low,
        accomplice_ids=[high],
        symbol=symbol,
        confidence_pct=confidence(60, 3 * (len(trades) - WASH_MIN_TRADES) + (20 if allies else 10)),
        reason=(
            f"{low} and {high}{' (allies)' if allies else ''} traded {symbol} "
            f"{len(trades)} times with each other (${notional // 100:,}) and ended "
            f"{net:+} shares apart: no change of owner"
        ),
        trade_ids=[t.trade_id for t in trades],
        ticks=distinct_ticks([t.tick for t in trades]),
    )
