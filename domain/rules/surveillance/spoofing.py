"""Spoofing / layering: large orders behind the touch, cancelled unfilled within a few
ticks, while their owner traded the other side of the same symbol."""

from collections.abc import Iterator

from domain.rules.surveillance.findings import Finding, confidence, distinct_ticks
from domain.rules.surveillance.windows import Surveillance, Watch
from schemas.enums import Offence

SPOOF_LIFE_TICKS = 5  # cancelled within this many ticks of being placed


def detect(sec: Surveillance, tick: int) -> Iterator[Finding]:
    """This tick's cancels of watched orders, grouped by (owner, symbol)."""
    groups: dict[tuple[str, str], list[Watch]] = {}
    for watch in sec.tick_cancels:
        if tick - watch.tick <= SPOOF_LIFE_TICKS and watch.against:
            groups.setdefault((watch.agent_id, watch.symbol), []).append(watch)
    for (agent, symbol), watches in groups.items():
        trades = sorted({t for w in watches for t in w.against})
        orders = [w.order_id for w in watches]
        side = watches[0].side
        other = "sold" if side == "BUY" else "bought"
        notional = sum(w.price * w.quantity for w in watches)
        yield Finding(
            offence=Offence.SPOOFING,
            suspect_id=agent,
            symbol=symbol,
            confidence_pct=confidence(55, 10 * len(watches) + 5 * min(len(trades), 4)),
            reason=(
                f"{agent} rested {len(watches)} {side} order(s) worth ${notional // 100:,} "
                f"behind the touch of {symbol}, {other} {len(trades)} time(s) meanwhile, "
                f"and cancelled them unfilled within {SPOOF_LIFE_TICKS} ticks"
            ),
            trade_ids=trades,
            order_ids=orders,
            ticks=distinct_ticks([w.tick for w in watches] + [tick]),
        )
