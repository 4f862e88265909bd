"""Marking the close: in the day's last minutes one agent's aggressive trades did most of
the aggression one way in a symbol and walked its price that way; the close ended that
way from where the window began, or the walk was twice as long (the close would have
ended lower still without it)."""

from collections.abc import Iterator

from domain.rules.surveillance.findings import MAX_REFERENCES, Finding, confidence
from domain.rules.surveillance.windows import CLOSE_MINUTES, Surveillance, Trade
from domain.units import BPS
from schemas.enums import Offence

CLOSE_PUSH_BPS = 20  # the agent's own trades walked the price at least this far
CLOSE_MIN_NOTIONAL = 25_000_000  # cents ($250k) of the agent's aggressive trades
CLOSE_SHARE_PCT = 50  # ... at least this share of the window's aggression that way


def detect(sec: Surveillance, closes: dict[str, int]) -> Iterator[Finding]:
    """At the closing tick, over the closing window's trades; ``closes`` is the close."""
    by_symbol: dict[str, list[Trade]] = {}
    for t in sec.closing:
        by_symbol.setdefault(t.symbol, []).append(t)
    for symbol, trades in by_symbol.items():
        ref = sec.close_ref[symbol]
        for up in (True, False):
            yield from _markers(symbol, trades, up=up, prices=(ref, closes[symbol]))


def _markers(
    symbol: str, trades: list[Trade], *, up: bool, prices: tuple[int, int]
) -> Iterator[Finding]:
    ref, close = prices
    moved = (close - ref) * (1 if up else -1) > 0  # the close ended their way
    total = 0
    per_agent: dict[str, list[Trade]] = {}
    for t in trades:
        if t.buyer_aggressed != up:
            continue
        total += t.price * t.quantity
        agent = t.buyer_id if up else t.seller_id
        per_agent.setdefault(agent, []).append(t)
    for agent, mine in per_agent.items():
        notional = sum(t.price * t.quantity for t in mine)
        push = sum(t.price - t.before for t in mine) * (1 if up else -1)
        push_bps = push * BPS // ref
        if notional < CLOSE_MIN_NOTIONAL or notional * 100 < total * CLOSE_SHARE_PCT:
            continue
        if push_bps < (CLOSE_PUSH_BPS if moved else 2 * CLOSE_PUSH_BPS):
            continue
        how = "bought" if up else "sold"
        yield Finding(
            offence=Offence.MARKING_THE_CLOSE,
            suspect_id=agent,
            symbol=symbol,
            confidence_pct=confidence(55, min(30, push_bps // 10) + 10 * notional // total),
            reason=(
                f"{agent} {how} ${notional // 100:,} of {symbol} aggressively in the last "
                f"{CLOSE_MINUTES} minutes, walking it {push_bps:+} bps; close {close} "
                f"(from {ref})"
            ),
            trade_ids=[t.trade_id for t in mine][-MAX_REFERENCES:],
            ticks=sorted({t.tick for t in mine}),
        )
