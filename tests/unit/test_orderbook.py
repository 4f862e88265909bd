"""The order book: one concern per test (ABIDES-style).

Pure book mechanics go through the bare ``OrderBook``; matching rules that belong to the
domain (self-trade prevention, stops, bands, market remainders) go through ``step`` with
explicit commands in a quiet season (no built-in traders), so every order is ours.
"""

from __future__ import annotations

from typing import TypeVar

from domain import World
from domain.orderbook import BUY, SELL, Order, OrderBook
from domain.simulate import simulate
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import PopulationConfig, SeasonConfig
from schemas.enums import CancelReason, OrderType, RejectReason, Role, Side
from tests.unit import market
from tests.unit.market import NOBODY

E = TypeVar("E", bound=ev.EventBase)
QUIET = SeasonConfig(symbols=1, population=NOBODY)
SMALL = SeasonConfig(
    symbols=3,
    population=PopulationConfig(
        market_makers=1, noise_traders=2, momentum_traders=0, value_traders=0
    ),
)


class Market(market.Market):
    def __init__(
        self, config: SeasonConfig = QUIET, seed: int = 1, agents: tuple[str, ...] = ("a", "b", "c")
    ) -> None:
        super().__init__(config, seed, dict.fromkeys(agents, Role.HEDGE_FUND_MANAGER))

    @property
    def last(self) -> int:
        return self.world.companies[self.symbol].last_price

    @property
    def book(self) -> OrderBook:
        return self.world.books[self.symbol]


def of(events: list[ev.EventBase], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def accepted_id(events: list[ev.EventBase], command: cmd.CommandBase) -> int:
    (accepted,) = [e for e in of(events, ev.OrderAccepted) if e.command_id == command.command_id]
    return accepted.order_id


# --- the bare book ----------------------------------------------------------------------


def _order(order_id: int, side: str, price: int, quantity: int, agent: str = "x") -> Order:
    return Order(
        order_id=order_id,
        agent_id=agent,
        symbol="SYM",
        side=side,
        intent="BUY" if side == BUY else "SHORT",
        order_type="LIMIT",
        price=price,
        quantity=quantity,
        remaining=quantity,
    )


def test_bare_book_limit_order_rests_at_its_price() -> None:
    book = OrderBook("SYM")
    book.rest(_order(1, BUY, 100, 5))
    book.rest(_order(2, SELL, 105, 7))
    assert book.best_bid() == 100
    assert book.best_ask() == 105
    assert book.bids.depth(5) == [(100, 5, 1)]
    assert book.asks.depth(5) == [(105, 7, 1)]
    assert not book.is_crossed()


def test_bare_book_best_levels_are_highest_bid_and_lowest_ask() -> None:
    book = OrderBook("SYM")
    for order_id, price in enumerate((99, 101, 100), start=1):
        book.rest(_order(order_id, BUY, price, 1))
    for order_id, price in enumerate((107, 105, 106), start=10):
        book.rest(_order(order_id, SELL, price, 1))
    assert [p for p, _, _ in book.bids.depth(10)] == [101, 100, 99]
    assert [p for p, _, _ in book.asks.depth(10)] == [105, 106, 107]


def test_bare_book_plan_is_price_then_time_priority() -> None:
    book = OrderBook("SYM")
    book.rest(_order(1, SELL, 101, 1))
    book.rest(_order(2, SELL, 100, 1))
    book.rest(_order(3, SELL, 101, 1))
    book.rest(_order(4, SELL, 100, 1))
    assert [o.order_id for o in book.plan(BUY, None)] == [2, 4, 1, 3]


def test_bare_book_plan_stops_at_the_limit() -> None:
    book = OrderBook("SYM")
    for order_id, price in enumerate((100, 101, 102), start=1):
        book.rest(_order(order_id, BUY, price, 1))
    assert [o.order_id for o in book.plan(SELL, 101)] == [3, 2]
    assert [o.order_id for o in book.plan(SELL, 103)] == []


def test_bare_book_partial_fill_keeps_the_order_at_the_head() -> None:
    book = OrderBook("SYM")
    book.rest(_order(1, SELL, 100, 10))
    book.rest(_order(2, SELL, 100, 10))
    order = book.fill(1, 4)
    assert order.remaining == 6
    assert order.live
    assert book.asks.depth(1) == [(100, 16, 2)]
    assert [o.order_id for o in book.plan(BUY, None)] == [1, 2]


def test_bare_book_full_fill_removes_the_order_and_empty_level() -> None:
    book = OrderBook("SYM")
    book.rest(_order(1, SELL, 100, 10))
    book.rest(_order(2, SELL, 101, 10))
    book.fill(1, 10)
    assert 1 not in book.orders
    assert book.best_ask() == 101
    assert book.asks.depth(5) == [(101, 10, 1)]


def test_bare_book_remove_cancels_from_the_middle_of_a_queue() -> None:
    book = OrderBook("SYM")
    for order_id in (1, 2, 3):
        book.rest(_order(order_id, BUY, 100, 5))
    removed = book.remove(2)
    assert not removed.live
    assert [o.order_id for o in book.plan(SELL, None)] == [1, 3]
    assert book.bids.depth(1) == [(100, 10, 2)]
    book.remove(1)
    book.remove(3)
    assert book.best_bid() is None
    assert book.bids.levels == {}


def test_bare_book_is_crossed_detects_bid_at_or_above_ask() -> None:
    book = OrderBook("SYM")
    book.rest(_order(1, BUY, 100, 1))
    book.rest(_order(2, SELL, 100, 1))
    assert book.is_crossed()


def test_bare_book_level_reused_after_it_emptied() -> None:
    book = OrderBook("SYM")
    book.rest(_order(1, BUY, 100, 1))
    book.remove(1)
    book.rest(_order(2, BUY, 100, 3))
    assert book.bids.depth(5) == [(100, 3, 1)]
    assert [o.order_id for o in book.plan(SELL, None)] == [2]


# --- through step -----------------------------------------------------------------------


def test_limit_order_that_does_not_cross_rests() -> None:
    m = Market()
    buy = m.order("BUY", "a", 10, m.last - 10)
    events = m.run(buy)
    order_id = accepted_id(events, buy)
    assert not of(events, ev.TradeExecuted)
    assert m.book.best_bid() == m.last - 10
    assert m.world.orders[order_id].remaining == 10
    assert order_id in m.world.accounts["a"].open_orders


def test_same_price_earlier_order_fills_first() -> None:
    m = Market()
    p = m.last
    first, second = m.order("SHORT", "a", 10, p), m.order("SHORT", "b", 10, p)
    events = m.run(first, second)
    first_id, second_id = accepted_id(events, first), accepted_id(events, second)
    events = m.run(m.order("BUY", "c", 10, p))
    (trade,) = of(events, ev.TradeExecuted)
    assert trade.sell_order_id == first_id
    assert trade.seller_id == "a"
    assert second_id in m.book.orders


def test_better_price_fills_first_even_if_later() -> None:
    m = Market()
    p = m.last
    worse, better = m.order("SHORT", "a", 10, p + 5), m.order("SHORT", "b", 10, p)
    m.run(worse, better)
    events = m.run(m.order("BUY", "c", 10, p + 5))
    (trade,) = of(events, ev.TradeExecuted)
    assert trade.seller_id == "b"
    assert trade.price == p  # the maker's price, not the taker's limit
    assert m.book.best_ask() == p + 5


def test_partial_fill_leaves_the_rest_resting() -> None:
    m = Market()
    p = m.last
    ask = m.order("SHORT", "a", 100, p)
    ask_id = accepted_id(m.run(ask), ask)
    events = m.run(m.order("BUY", "b", 30, p))
    (trade,) = of(events, ev.TradeExecuted)
    assert trade.quantity == 30
    assert m.world.orders[ask_id].remaining == 70
    assert m.book.asks.depth(1) == [(p, 70, 1)]


def test_limit_taker_remainder_rests_after_partial_fill() -> None:
    m = Market()
    p = m.last
    m.run(m.order("SHORT", "a", 10, p))
    buy = m.order("BUY", "b", 25, p)
    events = m.run(buy)
    assert sum(t.quantity for t in of(events, ev.TradeExecuted)) == 10
    assert m.world.orders[accepted_id(events, buy)].remaining == 15
    assert m.book.best_bid() == p
    assert m.book.best_ask() is None


def test_market_order_walks_several_levels() -> None:
    m = Market()
    p = m.last
    m.run(*(m.order("SHORT", "a", 10, p + k) for k in range(3)))
    events = m.run(m.order("BUY", "b", 25))
    trades = of(events, ev.TradeExecuted)
    assert [(t.price, t.quantity) for t in trades] == [(p, 10), (p + 1, 10), (p + 2, 5)]
    assert all(t.aggressor is Side.BUY for t in trades)
    assert m.book.asks.depth(5) == [(p + 2, 5, 1)]


def test_market_order_remainder_is_cancelled() -> None:
    m = Market()
    p = m.last
    m.run(m.order("SHORT", "a", 10, p), m.order("SHORT", "a", 10, p + 1))
    buy = m.order("BUY", "b", 50)
    events = m.run(buy)
    order_id = accepted_id(events, buy)
    assert sum(t.quantity for t in of(events, ev.TradeExecuted)) == 20
    (cancelled,) = of(events, ev.OrderCancelled)
    assert cancelled.order_id == order_id
    assert cancelled.reason is CancelReason.MARKET_REMAINDER
    assert cancelled.remaining == 30
    assert order_id not in m.world.orders
    assert m.book.best_bid() is None  # a market order never rests


def test_cancel_takes_the_order_out_of_the_book() -> None:
    m = Market()
    bid = m.order("BUY", "a", 10, m.last - 1)
    order_id = accepted_id(m.run(bid), bid)
    cancel = m.cancel("a", order_id)
    events = m.run(cancel)
    (cancelled,) = of(events, ev.OrderCancelled)
    assert cancelled.reason is CancelReason.BY_AGENT
    assert cancelled.command_id == cancel.command_id
    assert cancelled.remaining == 10
    assert m.book.best_bid() is None
    assert order_id not in m.world.orders
    assert m.world.accounts["a"].open_orders == {}


def test_self_trade_prevention_cancels_the_resting_order() -> None:
    m = Market()
    p = m.last
    ask = m.order("SHORT", "a", 10, p)
    ask_id = accepted_id(m.run(ask), ask)
    buy = m.order("BUY", "a", 10, p)
    events = m.run(buy)
    assert not of(events, ev.TradeExecuted)
    (cancelled,) = of(events, ev.OrderCancelled)
    assert cancelled.order_id == ask_id
    assert cancelled.reason is CancelReason.SELF_TRADE
    assert m.book.best_ask() is None
    assert m.book.best_bid() == p  # the incoming limit order rests


def test_self_trade_prevention_skips_own_order_and_trades_with_the_next() -> None:
    m = Market()
    p = m.last
    m.run(m.order("SHORT", "a", 10, p), m.order("SHORT", "b", 10, p))
    events = m.run(m.order("BUY", "a", 10, p))
    (trade,) = of(events, ev.TradeExecuted)
    assert trade.seller_id == "b"
    assert trade.buyer_id == "a"
    assert [c.reason for c in of(events, ev.OrderCancelled)] == [CancelReason.SELF_TRADE]
    assert all(t.buyer_id != t.seller_id for t in of(events, ev.TradeExecuted))


def test_self_trade_cancels_are_logged_before_the_commands_trades() -> None:
    """a's own offer sits between two of b's: the walk trades, skips, trades, but the log
    has the cancel first."""
    m = Market()
    p = m.last
    b_first, own, b_next = (
        m.order("SHORT", "b", 5, p),
        m.order("SHORT", "a", 5, p),
        m.order("SHORT", "b", 5, p + 1),
    )
    events = m.run(b_first, own, b_next)
    own_id = accepted_id(events, own)
    buy = m.order("BUY", "a", 10, p + 1)
    events = m.run(buy)
    log = [e for e in events if isinstance(e, ev.OrderCancelled | ev.TradeExecuted)]
    assert [type(e) for e in log] == [ev.OrderCancelled, ev.TradeExecuted, ev.TradeExecuted]
    assert isinstance(log[0], ev.OrderCancelled)
    assert (log[0].order_id, log[0].reason) == (own_id, CancelReason.SELF_TRADE)
    trades = of(events, ev.TradeExecuted)
    assert [(t.price, t.seller_id) for t in trades] == [(p, "b"), (p + 1, "b")]


def test_band_limits_order_prices_not_trades() -> None:
    """An offer accepted 9% above the last price stays in the book while the price falls
    9%; a market buy then lifts it, printing nearly 20% above the previous trade."""
    m = Market()
    p = m.last
    high, low = p * 10_900 // 10_000, p * 9_100 // 10_000
    m.run(m.order("SHORT", "a", 5, high))
    m.run(m.order("SHORT", "b", 1, low), m.order("BUY", "c", 1, low))
    assert m.last == low
    refused = m.run(m.order("BUY", "c", 1, high))  # a new order at that price is banded ...
    assert [r.reason for r in of(refused, ev.OrderRejected)] == [RejectReason.PRICE_OUT_OF_BAND]
    (trade,) = of(m.run(m.order("BUY", "c", 1)), ev.TradeExecuted)  # ... the trade is not
    assert trade.price == high
    assert (high - low) * 10_000 > m.world.config.price_band_bps * low


def test_buy_stop_waits_below_its_trigger() -> None:
    m = Market()
    stop = m.order("BUY", "c", 5, m.last + 20, OrderType.STOP)
    events = m.run(stop)
    order_id = accepted_id(events, stop)
    assert not of(events, ev.OrderTriggered)
    assert order_id in m.world.stops[m.symbol]
    assert m.book.best_bid() is None  # a stop never rests in the book


def test_buy_stop_triggers_when_last_trade_reaches_it_and_executes_as_market() -> None:
    m = Market()
    trigger = m.last + 20
    stop = m.order("BUY", "c", 5, trigger, OrderType.STOP)
    stop_id = accepted_id(m.run(stop), stop)
    # a's ask at the trigger, b lifts part of it: the last price reaches the trigger
    m.run(m.order("SHORT", "a", 10, trigger), m.order("SHORT", "a", 10, trigger + 3))
    events = m.run(m.order("BUY", "b", 3, trigger))
    (triggered,) = of(events, ev.OrderTriggered)
    assert triggered.order_id == stop_id
    assert triggered.last_price == trigger
    stop_trades = [t for t in of(events, ev.TradeExecuted) if t.buy_order_id == stop_id]
    assert [(t.price, t.quantity) for t in stop_trades] == [(trigger, 5)]
    assert all(t.aggressor is Side.BUY for t in stop_trades)
    assert stop_id not in m.world.orders
    assert stop_id not in m.world.stops[m.symbol]


def test_sell_stop_triggers_at_or_below_and_walks_the_bids() -> None:
    m = Market()
    trigger = m.last - 20
    stop = m.order("SHORT", "c", 15, trigger, OrderType.STOP)
    stop_id = accepted_id(m.run(stop), stop)
    m.run(m.order("BUY", "a", 10, trigger), m.order("BUY", "a", 10, trigger - 2))
    events = m.run(m.order("SHORT", "b", 1, trigger))  # last trade = trigger exactly
    assert [t.order_id for t in of(events, ev.OrderTriggered)] == [stop_id]
    stop_trades = [t for t in of(events, ev.TradeExecuted) if t.sell_order_id == stop_id]
    assert [(t.price, t.quantity) for t in stop_trades] == [(trigger, 9), (trigger - 2, 6)]
    assert m.world.accounts["c"].positions[m.symbol] == -15


def test_stop_with_trigger_already_reached_fires_at_once() -> None:
    m = Market()
    p = m.last
    m.run(m.order("SHORT", "a", 10, p + 1))
    stop = m.order("BUY", "b", 4, p, OrderType.STOP)  # last >= p already
    events = m.run(stop)
    assert [t.order_id for t in of(events, ev.OrderTriggered)] == [accepted_id(events, stop)]
    assert [(t.price, t.quantity) for t in of(events, ev.TradeExecuted)] == [(p + 1, 4)]


def test_price_outside_the_band_is_rejected() -> None:
    m = Market()
    p = m.last
    band = p * m.world.config.price_band_bps // 10_000
    too_high = m.order("BUY", "a", 1, p + band + 1)
    too_low = m.order("SHORT", "a", 1, p - band - 1)
    events = m.run(too_high, too_low)
    rejected = of(events, ev.OrderRejected)
    assert [r.command_id for r in rejected] == [too_high.command_id, too_low.command_id]
    assert {r.reason for r in rejected} == {RejectReason.PRICE_OUT_OF_BAND}
    assert not of(events, ev.OrderAccepted)


def test_price_at_the_band_edge_is_accepted() -> None:
    m = Market()
    p = m.last
    band = p * m.world.config.price_band_bps // 10_000
    events = m.run(m.order("BUY", "a", 1, p - band), m.order("SHORT", "b", 1, p + band))
    assert len(of(events, ev.OrderAccepted)) == 2


def test_stop_trigger_price_is_band_checked_too() -> None:
    m = Market()
    p = m.last
    band = p * m.world.config.price_band_bps // 10_000
    events = m.run(m.order("BUY", "a", 1, p + band + 1, OrderType.STOP))
    assert [r.reason for r in of(events, ev.OrderRejected)] == [RejectReason.PRICE_OUT_OF_BAND]


def test_crossing_limit_order_never_leaves_a_crossed_book() -> None:
    m = Market()
    p = m.last
    m.run(m.order("SHORT", "a", 10, p), m.order("SHORT", "b", 10, p + 2))
    events = m.run(m.order("BUY", "c", 25, p + 5))
    assert [(t.price, t.quantity) for t in of(events, ev.TradeExecuted)] == [(p, 10), (p + 2, 10)]
    assert not m.book.is_crossed()
    assert m.book.best_ask() is None  # both offers were taken ...
    assert m.book.bids.depth(5) == [(p + 5, 5, 1)]  # ... and the rest of the bid rests


def test_no_crossed_book_after_any_step_with_the_population() -> None:
    world_books: list[bool] = []

    def check(world: World, _tick: int) -> list[cmd.CommandBase]:
        world_books.extend(book.is_crossed() for book in world.books.values())
        return []

    simulate(3, 120, SMALL, commands=check)
    assert world_books
    assert not any(world_books)
