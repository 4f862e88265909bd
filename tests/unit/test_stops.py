"""STOP orders: what they hold while pending, and exactly when they fire.

A quiet season (no built-in traders, one symbol, ten-minute trading days): every order is
ours. ``r`` is a retail trader ($10,000, 2x); the others are hedge funds with room to spare.
"""

from __future__ import annotations

from typing import TypeVar

from domain.rules.leverage import buying_power
from domain.rules.stops import STOP_CASCADE_LIMIT
from domain.state import Account
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import SeasonConfig
from schemas.enums import CancelReason, OrderType, RejectReason, Role
from tests.unit import market
from tests.unit.market import NOBODY

E = TypeVar("E", bound=ev.EventBase)
CONFIG = SeasonConfig(symbols=1, population=NOBODY, open_ticks_per_day=10, after_hours_ticks=2)
AGENTS = {
    "r": Role.RETAIL_TRADER,
    "a": Role.HEDGE_FUND_MANAGER,
    "b": Role.HEDGE_FUND_MANAGER,
    "c": Role.HEDGE_FUND_MANAGER,
    "d": Role.HEDGE_FUND_MANAGER,
}
STOP = OrderType.STOP


class Market(market.Market):
    def __init__(self) -> None:
        super().__init__(CONFIG, 1, AGENTS)

    def account(self, agent: str) -> Account:
        return self.world.accounts[agent]

    @property
    def last(self) -> int:
        return self.world.companies[self.symbol].last_price

    def run_until(self, tick: int) -> list[ev.EventBase]:
        """Step empty ticks up to and including ``tick``; the events of all of them."""
        events: list[ev.EventBase] = []
        while self.tick < tick:
            events += self.run()
        return events


def of(events: list[ev.EventBase], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def accepted_id(events: list[ev.EventBase], command: cmd.CommandBase) -> int:
    (accepted,) = [e for e in of(events, ev.OrderAccepted) if e.command_id == command.command_id]
    return accepted.order_id


def stop_ids(m: Market, *stops: cmd.OrderCommand) -> list[int]:
    """Accept ``stops`` in one tick (none may fire); their order ids, in that order."""
    events = m.run(*stops)
    assert not of(events, ev.OrderTriggered)
    return [accepted_id(events, s) for s in stops]


def triggered(events: list[ev.EventBase]) -> list[int]:
    return [e.order_id for e in of(events, ev.OrderTriggered)]


def flow(events: list[ev.EventBase]) -> list[ev.EventBase]:
    """The order events of a tick, in log order (no drift, positions or bars)."""
    kinds = (ev.OrderAccepted, ev.OrderTriggered, ev.TradeExecuted, ev.OrderCancelled)
    return [e for e in events if isinstance(e, kinds)]


def buyers(events: list[ev.EventBase]) -> list[int]:
    return [t.buy_order_id for t in of(events, ev.TradeExecuted)]


# --- what a pending stop holds ------------------------------------------------------------


def test_stop_orders_reserve_buying_power() -> None:
    """The reported case: pending STOP BUYs used to hold nothing, so a LIMIT BUY the rules
    refuse was accepted on the buying power they should have held."""
    m = Market()
    r = m.account("r")
    power, trigger = buying_power(m.world, r), m.last + 20
    quantity = power * 585 // 1_000 // trigger  # about $11,700 of a retail trader's $20,000
    stop = m.order("BUY", "r", quantity, trigger, STOP)
    (accepted,) = of(m.run(stop), ev.OrderAccepted)
    assert accepted.reserved == quantity * trigger
    assert r.reserved == quantity * trigger
    left = buying_power(m.world, r)
    assert left == power - quantity * trigger
    price = m.last - 1
    too_much = m.order("BUY", "r", left // price + 1, price)
    (rejected,) = of(m.run(too_much), ev.OrderRejected)
    assert rejected.reason is RejectReason.INSUFFICIENT_BUYING_POWER
    fits = m.order("BUY", "r", left * 9 // 10 // price, price)
    assert of(m.run(fits), ev.OrderAccepted)


def test_stop_short_reserves_buying_power_too() -> None:
    m = Market()
    trigger = m.last - 20
    (accepted,) = of(m.run(m.order("SHORT", "r", 7, trigger, STOP)), ev.OrderAccepted)
    assert accepted.reserved == 7 * trigger == m.account("r").reserved


def test_sell_and_cover_stops_reserve_no_buying_power() -> None:
    """They hold shares (or the short) instead, as their LIMIT twins do."""
    m = Market()
    p = m.last
    m.run(m.order("SHORT", "a", 10, p), m.order("BUY", "r", 10, p))
    (sell,) = of(m.run(m.order("SELL", "r", 10, p - 20, STOP)), ev.OrderAccepted)
    assert sell.reserved == 0
    assert m.account("r").selling == {m.symbol: 10}


def test_stop_reservation_is_released_when_cancelled_or_expired() -> None:
    m = Market()
    r = m.account("r")
    power = buying_power(m.world, r)
    high = m.last + 30
    first_id, second_id = stop_ids(
        m, m.order("BUY", "r", 3, m.last + 20, STOP), m.order("BUY", "r", 4, high, STOP)
    )
    (cancelled,) = of(m.run(m.cancel("r", first_id)), ev.OrderCancelled)
    assert cancelled.reason is CancelReason.BY_AGENT
    assert r.reserved == 4 * high
    events = m.run_until(CONFIG.open_ticks_per_day)
    assert [e.order_id for e in of(events, ev.OrderExpired)] == [second_id]
    assert r.reserved == 0
    assert buying_power(m.world, r) == power


def test_triggered_stop_spends_the_buying_power_it_held() -> None:
    """Firing gives the reservation back, so the stop, now a market order, can pay for its
    whole quantity with it: were it still held, the buy would starve."""
    m = Market()
    r = m.account("r")
    trigger = m.last + 20
    quantity = buying_power(m.world, r) * 9 // 10 // trigger
    (stop_id,) = stop_ids(m, m.order("BUY", "r", quantity, trigger, STOP))
    m.run(m.order("SHORT", "a", quantity + 5, trigger))
    events = m.run(m.order("BUY", "b", 5, trigger))  # prints at the trigger
    assert triggered(events) == [stop_id]
    assert sum(t.quantity for t in of(events, ev.TradeExecuted) if t.buyer_id == "r") == quantity
    assert not of(events, ev.OrderCancelled)
    assert r.reserved == 0
    assert r.positions == {m.symbol: quantity}


# --- when stops fire --------------------------------------------------------------------


def test_stop_fires_on_a_price_touched_mid_walk() -> None:
    """Stops are checked on every trade print, not on the price a walk leaves behind: a
    buy walk that prints through a sell stop's trigger and moves on still fires it."""
    m = Market()
    low, high = m.last - 5, m.last + 2
    (stop_id,) = stop_ids(m, m.order("SHORT", "c", 3, low, STOP))
    m.run(
        m.order("SHORT", "a", 1, low),  # an offer below the last price ...
        m.order("SHORT", "a", 5, high),
        m.order("BUY", "d", 10, low - 5),  # ... and a bid for the stop to sell into
    )
    events = m.run(m.order("BUY", "b", 6))
    kinds = [(type(e).__name__, getattr(e, "price", None)) for e in flow(events)[:4]]
    assert kinds == [
        ("OrderAccepted", None),
        ("TradeExecuted", low),
        ("OrderTriggered", None),
        ("TradeExecuted", high),
    ]
    (fired,) = of(events, ev.OrderTriggered)
    assert (fired.order_id, fired.last_price) == (stop_id, low)  # the print that fired it
    trades = of(events, ev.TradeExecuted)
    assert [(t.price, t.quantity, t.sell_order_id) for t in trades[2:]] == [(low - 5, 3, stop_id)]
    assert m.last == low - 5


def test_fired_stops_run_after_the_walk_in_the_order_they_fired() -> None:
    """The walk's trades all print first; then the fired stops execute: earlier print
    first, and among the stops one print fired, the oldest first."""
    m = Market()
    p = m.last
    s1, s2, s3 = stop_ids(
        m,
        m.order("BUY", "c", 1, p + 2, STOP),
        m.order("BUY", "d", 1, p + 1, STOP),
        m.order("BUY", "c", 1, p + 1, STOP),
    )
    m.run(m.order("SHORT", "a", 1, p + 1), m.order("SHORT", "a", 1, p + 2))
    m.run(m.order("SHORT", "a", 20, p + 3))
    buy = m.order("BUY", "b", 2)
    events = m.run(buy)
    walk = accepted_id(events, buy)
    assert triggered(events) == [s2, s3, s1]
    assert buyers(events) == [walk, walk, s2, s3, s1]
    log = flow(events)
    order = [getattr(e, "order_id", None) or getattr(e, "buy_order_id", None) for e in log]
    trades = [i for i, e in enumerate(log) if isinstance(e, ev.TradeExecuted)]
    assert order[trades[0] + 1 : trades[0] + 3] == [s2, s3]  # fired by the first print
    assert order[trades[1] + 1] == s1  # fired by the second


def test_stops_fired_by_a_stop_queue_behind_the_others() -> None:
    m = Market()
    p = m.last
    s1, s2, s3 = stop_ids(
        m,
        m.order("BUY", "c", 2, p + 1, STOP),
        m.order("BUY", "d", 1, p + 3, STOP),
        m.order("BUY", "c", 1, p + 2, STOP),
    )
    m.run(m.order("SHORT", "a", 1, p + 1), m.order("SHORT", "a", 1, p + 2))
    m.run(m.order("SHORT", "a", 2, p + 3), m.order("SHORT", "a", 10, p + 4))
    buy = m.order("BUY", "b", 2)
    events = m.run(buy)
    walk = accepted_id(events, buy)
    # the walk fires s1 and s3; s1's trades at p+3 fire s2, which runs after s3
    assert triggered(events) == [s1, s3, s2]
    assert buyers(events) == [walk, walk, s1, s3, s2]


def test_stop_already_through_the_market_fires_on_acceptance() -> None:
    m = Market()
    p = m.last
    m.run(m.order("SHORT", "a", 10, p + 1))
    stop = m.order("BUY", "r", 4, p - 3, STOP)  # the last price is above the trigger
    events = m.run(stop)
    stop_id = accepted_id(events, stop)
    kinds = [type(e) for e in flow(events)[:3]]
    assert kinds == [ev.OrderAccepted, ev.OrderTriggered, ev.TradeExecuted]
    (fired,) = of(events, ev.OrderTriggered)
    assert (fired.order_id, fired.last_price) == (stop_id, p)
    assert buyers(events) == [stop_id]
    assert m.account("r").reserved == 0


def test_stop_accepted_below_its_trigger_waits() -> None:
    m = Market()
    m.run(m.order("SHORT", "a", 10, m.last + 1))
    (stop_id,) = stop_ids(m, m.order("BUY", "r", 4, m.last + 1, STOP))
    assert stop_id in m.world.stops[m.symbol]


def test_fired_stop_without_liquidity_is_cancelled_as_a_market_remainder() -> None:
    m = Market()
    p = m.last
    (stop_id,) = stop_ids(m, m.order("BUY", "c", 3, p + 1, STOP))
    m.run(m.order("SHORT", "a", 1, p + 1))
    events = m.run(m.order("BUY", "b", 1))  # takes the only offer
    assert triggered(events) == [stop_id]
    (cancelled,) = [e for e in of(events, ev.OrderCancelled) if e.order_id == stop_id]
    assert (cancelled.reason, cancelled.remaining) == (CancelReason.MARKET_REMAINDER, 3)


def test_at_most_a_thousand_stops_fire_per_command() -> None:
    """A cap on one command's cascade; a stop left over fires on a later print."""
    m = Market()
    p = m.last
    stops = [m.order("BUY", "c", 1, p + 1, STOP) for _ in range(STOP_CASCADE_LIMIT + 1)]
    ids = stop_ids(m, *stops)
    m.run(m.order("SHORT", "a", 1, p + 1))
    events = m.run(m.order("BUY", "b", 1))
    assert triggered(events) == ids[:-1]
    assert list(m.world.stops[m.symbol]) == ids[-1:]
    m.run(m.order("SHORT", "a", 2, p + 1))
    assert triggered(m.run(m.order("BUY", "b", 1))) == ids[-1:]


def test_stops_expire_at_the_close_with_day_orders() -> None:
    m = Market()
    (stop_id,) = stop_ids(m, m.order("SHORT", "r", 2, m.last - 20, STOP))
    events = m.run_until(CONFIG.open_ticks_per_day)
    assert [e.order_id for e in of(events, ev.OrderExpired)] == [stop_id]
    assert m.world.stops[m.symbol] == {}
    assert m.account("r").reserved == 0
