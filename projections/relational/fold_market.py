"""Fold handlers for the market: orders, trades, positions, prices and fundamentals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections.relational.batch import BatchState, usd
from schemas.events import (
    BarClosed,
    BorrowFeeCharged,
    EarningsReported,
    FundamentalsDrifted,
    MarketClosed,
    MarketOpened,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderTriggered,
    PositionChanged,
    TradeExecuted,
)

__all__ = ["MARKET_HANDLERS"]


def _order_accepted(st: BatchState, _seq: int, ev: OrderAccepted) -> None:
    st.orders[ev.order_id] = {
        "season_id": st.season_id,
        "order_id": ev.order_id,
        "command_id": ev.command_id,
        "agent_id": ev.agent_id,
        "symbol": ev.symbol,
        "intent": ev.intent.value,
        "side": ev.side.value,
        "order_type": ev.order_type.value,
        "quantity": ev.quantity,
        "price": ev.price,
        "reserved": ev.reserved,
        "remaining": ev.quantity,
        "status": "open",
        "cancel_reason": None,
        "triggered": False,
        "created_tick": ev.tick,
        "updated_tick": ev.tick,
    }
    st.dirty_orders[ev.order_id] = None


def _order_triggered(st: BatchState, _seq: int, ev: OrderTriggered) -> None:
    if (o := st.order(ev.order_id, ev.tick)) is not None:
        o["triggered"] = True


def _trade_executed(st: BatchState, _seq: int, ev: TradeExecuted) -> None:
    st.trades.append(
        {
            "season_id": st.season_id,
            "trade_id": ev.trade_id,
            "tick": ev.tick,
            "symbol": ev.symbol,
            "price": ev.price,
            "quantity": ev.quantity,
            "buy_order_id": ev.buy_order_id,
            "sell_order_id": ev.sell_order_id,
            "buyer_id": ev.buyer_id,
            "seller_id": ev.seller_id,
            "buyer_fee": ev.buyer_fee,
            "seller_fee": ev.seller_fee,
            "aggressor": ev.aggressor.value,
        }
    )
    notional = ev.price * ev.quantity
    if (buyer := st.agent(ev.buyer_id, ev.tick)) is not None:
        buyer["cash"] -= notional + ev.buyer_fee
    if (seller := st.agent(ev.seller_id, ev.tick)) is not None:
        seller["cash"] += notional - ev.seller_fee
    st.holding(ev.buyer_id, ev.symbol)["quantity"] += ev.quantity
    st.holding(ev.seller_id, ev.symbol)["quantity"] -= ev.quantity
    for order_id in (ev.buy_order_id, ev.sell_order_id):
        if (o := st.order(order_id, ev.tick)) is not None:
            o["remaining"] = max(0, o["remaining"] - ev.quantity)
            if o["remaining"] == 0 and o["status"] == "open":
                o["status"] = "filled"


def _order_cancelled(st: BatchState, _seq: int, ev: OrderCancelled) -> None:
    if (o := st.order(ev.order_id, ev.tick)) is not None:
        o.update(status="cancelled", remaining=ev.remaining, cancel_reason=ev.reason.value)


def _order_expired(st: BatchState, _seq: int, ev: OrderExpired) -> None:
    if (o := st.order(ev.order_id, ev.tick)) is not None:
        o.update(status="expired", remaining=ev.remaining)


def _position_changed(st: BatchState, _seq: int, ev: PositionChanged) -> None:
    # Authoritative end-of-tick figures: they overwrite whatever the deltas produced.
    st.holding(ev.agent_id, ev.symbol)["quantity"] = ev.quantity
    if (a := st.agent(ev.agent_id, ev.tick)) is not None:
        a["cash"] = ev.cash


def _bar_closed(st: BatchState, _seq: int, ev: BarClosed) -> None:
    if (c := st.company(ev.symbol, ev.tick)) is None:
        return
    c["last_price"] = ev.close
    if c["day_open"] is None:
        c.update(day_open=ev.open, day_high=ev.high, day_low=ev.low)
    else:
        c["day_high"] = max(c["day_high"], ev.high)
        c["day_low"] = min(c["day_low"], ev.low)
    c["volume"] += ev.volume
    c["total_volume"] += ev.volume


def _fundamentals_drifted(st: BatchState, _seq: int, ev: FundamentalsDrifted) -> None:
    for symbol, value in ev.fair_values.items():
        if (c := st.company(symbol, ev.tick)) is not None:
            c["fair_value"] = value


def _earnings_reported(st: BatchState, seq: int, ev: EarningsReported) -> None:
    if (c := st.company(ev.symbol, ev.tick)) is not None:
        c.update(
            revenue=ev.revenue,
            profit=ev.profit,
            eps=ev.eps,
            quarter=ev.quarter,
            fair_value=ev.fair_value,
        )
    verdict = "beats" if ev.surprise_bps > 0 else "misses" if ev.surprise_bps < 0 else "meets"
    pct = f"{abs(ev.surprise_bps) // 100}.{abs(ev.surprise_bps) % 100:02d}%"
    st.headline(
        seq,
        ev,
        "earnings",
        f"{ev.symbol} {verdict} expectations in Q{ev.quarter}",
        f"EPS {usd(ev.eps)} (surprise {pct}), revenue {usd(ev.revenue)}, profit {usd(ev.profit)}.",
        symbol=ev.symbol,
    )


def _market_opened(st: BatchState, _seq: int, ev: MarketOpened) -> None:
    if (w := st.touch_world()) is not None:
        w.update(market_open=True, day=ev.day)
    for symbol in st.companies:
        c = st.company(symbol, ev.tick)
        assert c is not None
        c.update(prev_close=c["last_price"], day_open=None, day_high=None, day_low=None, volume=0)


def _market_closed(st: BatchState, _seq: int, ev: MarketClosed) -> None:
    if (w := st.touch_world()) is not None:
        w.update(market_open=False, day=ev.day)


def _borrow_fee_charged(st: BatchState, _seq: int, ev: BorrowFeeCharged) -> None:
    if (a := st.agent(ev.agent_id, ev.tick)) is not None:
        a["cash"] -= ev.amount


MARKET_HANDLERS: dict[type[Any], Callable[[BatchState, int, Any], None]] = {
    OrderAccepted: _order_accepted,
    OrderTriggered: _order_triggered,
    TradeExecuted: _trade_executed,
    OrderCancelled: _order_cancelled,
    OrderExpired: _order_expired,
    PositionChanged: _position_changed,
    BarClosed: _bar_closed,
    FundamentalsDrifted: _fundamentals_drifted,
    EarningsReported: _earnings_reported,
    MarketOpened: _market_opened,
    MarketClosed: _market_closed,
    BorrowFeeCharged: _borrow_fee_charged,
}
