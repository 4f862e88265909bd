"""Accounts: buying power, shares held by orders, shorts, fees, margin, borrow fees, expiry.

A quiet season (no built-in traders, one symbol, ten-minute trading days) where every
order is ours. Prices are driven by two hedge funds trading one share at a time.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor
from typing import TypeVar

from domain.rules.leverage import buying_power
from domain.rules.roles import ROLES
from domain.state import HOUSE_FEES, HOUSE_LENDING, Account
from domain.units import BPS
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import SeasonConfig
from schemas.enums import AgentStatus, CancelReason, Intent, OrderType, RejectReason, Role
from tests.unit import market
from tests.unit.market import NOBODY

E = TypeVar("E", bound=ev.EventBase)
CONFIG = SeasonConfig(
    symbols=1,
    population=NOBODY,
    open_ticks_per_day=10,
    after_hours_ticks=2,
    margin_grace_ticks=2,
    borrow_fee_bps_per_day=100,
)
AGENTS = {"r": Role.RETAIL_TRADER, "h1": Role.HEDGE_FUND_MANAGER, "h2": Role.HEDGE_FUND_MANAGER}
STEP_BPS = 900  # each push moves the last price 9% (the band is 10%)


class Market(market.Market):
    def __init__(self, config: SeasonConfig = CONFIG, seed: int = 1) -> None:
        super().__init__(config, seed, AGENTS)

    def run_until(self, tick: int) -> list[ev.EventBase]:
        """Step empty ticks up to and including ``tick``; the events of all of them."""
        events: list[ev.EventBase] = []
        while self.tick < tick:
            events += self.run()
        return events

    def push(self, steps: int, bps: int = STEP_BPS) -> list[cmd.CommandBase]:
        """Commands that walk the last price ``steps`` times by ``bps`` (h2 sells, h1 buys)."""
        price, out = self.last, list[cmd.CommandBase]()
        for _ in range(steps):
            price = price * (BPS + bps) // BPS
            if bps > 0:
                out += [self.order("SHORT", "h2", 1, price), self.order("BUY", "h1", 1, price)]
            else:
                out += [self.order("BUY", "h1", 1, price), self.order("SHORT", "h2", 1, price)]
        return out

    def account(self, agent: str) -> Account:
        return self.world.accounts[agent]

    @property
    def last(self) -> int:
        return self.world.companies[self.symbol].last_price

    @property
    def position(self) -> int:
        return self.account("r").positions.get(self.symbol, 0)


def of(events: list[ev.EventBase], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def accepted_id(events: list[ev.EventBase], command: cmd.CommandBase) -> int:
    (accepted,) = [e for e in of(events, ev.OrderAccepted) if e.command_id == command.command_id]
    return accepted.order_id


def rejection(events: list[ev.EventBase], command: cmd.CommandBase) -> RejectReason:
    (rejected,) = [e for e in of(events, ev.OrderRejected) if e.command_id == command.command_id]
    return rejected.reason


def fee(notional: int) -> int:
    return notional * CONFIG.fee_bps // BPS


def short_r(m: Market, quantity: int) -> None:
    """r opens a short of ``quantity`` at the last price, against h1's bid."""
    p = m.last
    events = m.run(m.order("BUY", "h1", quantity, p), m.order("SHORT", "r", quantity, p))
    assert sum(t.quantity for t in of(events, ev.TradeExecuted)) == quantity
    assert m.position == -quantity


def long_r(m: Market, quantity: int) -> None:
    """r buys ``quantity`` at the last price from h2's ask."""
    p = m.last
    events = m.run(m.order("SHORT", "h2", quantity, p), m.order("BUY", "r", quantity, p))
    assert sum(t.quantity for t in of(events, ev.TradeExecuted)) == quantity
    assert m.position == quantity


# --- buying power -----------------------------------------------------------------------


def test_resting_buy_reserves_buying_power() -> None:
    m = Market()
    r, price = m.account("r"), m.last - 10
    before = buying_power(m.world, r)
    buy = m.order("BUY", "r", 10, price)
    events = m.run(buy)
    (accepted,) = of(events, ev.OrderAccepted)
    assert accepted.reserved == 10 * price
    assert r.reserved == 10 * price
    assert buying_power(m.world, r) == before - 10 * price
    assert r.cash == ROLES[Role.RETAIL_TRADER].starting_cash  # reserving moves no cash


def test_cancel_releases_reserved_buying_power() -> None:
    m = Market()
    r = m.account("r")
    before = buying_power(m.world, r)
    buy = m.order("BUY", "r", 10, m.last - 10)
    order_id = accepted_id(m.run(buy), buy)
    m.run(m.cancel("r", order_id))
    assert r.reserved == 0
    assert buying_power(m.world, r) == before


def test_partial_fill_releases_reserve_for_the_filled_part() -> None:
    m = Market()
    r, p = m.account("r"), m.last
    buy = m.order("BUY", "r", 10, p)
    order_id = accepted_id(m.run(buy), buy)
    m.run(m.order("SHORT", "h1", 4, p))
    assert m.world.orders[order_id].reserved == 6 * p
    assert r.reserved == 6 * p


def test_buy_beyond_buying_power_is_refused() -> None:
    m = Market()
    p = m.last
    limit = buying_power(m.world, m.account("r"))
    quantity = limit // p + 1
    buy = m.order("BUY", "r", quantity, p)
    assert rejection(m.run(buy), buy) is RejectReason.INSUFFICIENT_BUYING_POWER


def test_reserved_orders_count_against_buying_power() -> None:
    m = Market()
    p = m.last - 1
    half = buying_power(m.world, m.account("r")) // 2 // p
    first, second = m.order("BUY", "r", half, p), m.order("BUY", "r", half, p)
    third = m.order("BUY", "r", half, p)
    events = m.run(first, second, third)
    assert len(of(events, ev.OrderAccepted)) == 2
    assert rejection(events, third) is RejectReason.INSUFFICIENT_BUYING_POWER


# --- long positions ---------------------------------------------------------------------


def test_sell_without_shares_is_refused() -> None:
    m = Market()
    sell = m.order("SELL", "r", 1, m.last)
    assert rejection(m.run(sell), sell) is RejectReason.INSUFFICIENT_SHARES


def test_resting_sell_holds_the_shares() -> None:
    m = Market()
    long_r(m, 10)
    sell = m.order("SELL", "r", 10, m.last + 5)
    order_id = accepted_id(m.run(sell), sell)
    assert m.account("r").selling == {m.symbol: 10}
    again = m.order("SELL", "r", 1, m.last + 5)
    assert rejection(m.run(again), again) is RejectReason.INSUFFICIENT_SHARES
    m.run(m.cancel("r", order_id))
    assert m.account("r").selling == {}
    retry = m.order("SELL", "r", 10, m.last + 5)
    assert of(m.run(retry), ev.OrderAccepted)


def test_sell_closes_a_long_position() -> None:
    m = Market()
    long_r(m, 10)
    p = m.last
    events = m.run(m.order("BUY", "h1", 10, p), m.order("SELL", "r", 10, p))
    assert sum(t.quantity for t in of(events, ev.TradeExecuted)) == 10
    assert m.symbol not in m.account("r").positions


# --- short positions --------------------------------------------------------------------


def test_short_needs_margin() -> None:
    m = Market()
    p = m.last
    quantity = buying_power(m.world, m.account("r")) // p + 1
    short = m.order("SHORT", "r", quantity, p)
    assert rejection(m.run(short), short) is RejectReason.INSUFFICIENT_BUYING_POWER


def test_short_opens_a_negative_position_and_credits_the_proceeds() -> None:
    m = Market()
    p = m.last
    cash = m.account("r").cash
    short_r(m, 10)
    assert m.account("r").positions == {m.symbol: -10}
    assert m.account("r").cash == cash + 10 * p - fee(10 * p)


def test_cover_when_not_short_is_refused() -> None:
    m = Market()
    cover = m.order("COVER", "r", 1, m.last)
    assert rejection(m.run(cover), cover) is RejectReason.INSUFFICIENT_SHORT


def test_cover_more_than_the_short_is_refused() -> None:
    m = Market()
    short_r(m, 10)
    cover = m.order("COVER", "r", 11, m.last)
    assert rejection(m.run(cover), cover) is RejectReason.INSUFFICIENT_SHORT


def test_cover_buys_back_the_short() -> None:
    m = Market()
    short_r(m, 10)
    p = m.last
    events = m.run(m.order("SHORT", "h2", 10, p), m.order("COVER", "r", 10, p))
    (accepted,) = [e for e in of(events, ev.OrderAccepted) if e.agent_id == "r"]
    assert accepted.intent is Intent.COVER
    assert sum(t.quantity for t in of(events, ev.TradeExecuted) if t.buyer_id == "r") == 10
    assert m.position == 0
    assert m.symbol not in m.account("r").positions


def test_resting_cover_holds_the_short() -> None:
    m = Market()
    short_r(m, 10)
    m.run(m.order("COVER", "r", 6, m.last - 5))
    assert m.account("r").covering == {m.symbol: 6}
    more = m.order("COVER", "r", 5, m.last - 5)
    assert rejection(m.run(more), more) is RejectReason.INSUFFICIENT_SHORT


def test_buy_while_short_is_refused() -> None:
    m = Market()
    short_r(m, 10)
    buy = m.order("BUY", "r", 1, m.last)
    assert rejection(m.run(buy), buy) is RejectReason.POSITION_IS_SHORT


def test_short_while_long_is_refused() -> None:
    m = Market()
    long_r(m, 10)
    short = m.order("SHORT", "r", 1, m.last)
    assert rejection(m.run(short), short) is RejectReason.POSITION_IS_LONG


# --- fees -------------------------------------------------------------------------------


def test_fees_go_to_the_house() -> None:
    m = Market()
    p = m.last
    h1, h2 = m.account("h1"), m.account("h2")
    cash1, cash2, house = h1.cash, h2.cash, m.world.house[HOUSE_FEES]
    events = m.run(m.order("SHORT", "h2", 100, p), m.order("BUY", "h1", 100, p))
    (trade,) = of(events, ev.TradeExecuted)
    notional = 100 * p
    assert trade.buyer_fee == trade.seller_fee == fee(notional) > 0
    assert h1.cash == cash1 - notional - fee(notional)
    assert h2.cash == cash2 + notional - fee(notional)
    assert m.world.house[HOUSE_FEES] == house + 2 * fee(notional)


# --- margin -----------------------------------------------------------------------------


def _margin_victim(m: Market) -> int:
    """r shorts about three quarters of its buying power; returns the short's size."""
    quantity = buying_power(m.world, m.account("r")) * 3 // 4 // m.last
    short_r(m, quantity)
    return quantity


def test_margin_call_when_equity_falls_below_maintenance() -> None:
    m = Market()
    _margin_victim(m)
    events = m.run(*m.push(4))
    r = m.account("r")
    equity, exposure = m.world.equity(r), m.world.exposure(r)
    maintenance = exposure * CONFIG.maintenance_margin_bps // BPS
    assert 0 <= equity < maintenance  # the scenario's premise
    (called,) = of(events, ev.MarginCalled)
    assert called.agent_id == "r"
    assert called.equity == equity
    assert called.maintenance == maintenance
    assert called.deadline_tick == m.tick + CONFIG.margin_grace_ticks
    assert r.margin_deadline == called.deadline_tick
    assert not of(events, ev.PositionLiquidated)


def test_margin_call_met_when_the_price_comes_back() -> None:
    m = Market()
    _margin_victim(m)
    m.run(*m.push(4))
    deadline = m.account("r").margin_deadline
    assert deadline is not None
    events = m.run(*m.push(4, bps=-900))
    assert m.tick < deadline  # met as soon as equity is back, not at the deadline
    assert [e.agent_id for e in of(events, ev.MarginCallMet)] == ["r"]
    assert m.account("r").margin_deadline is None
    assert not of(events, ev.PositionLiquidated)


def test_margin_call_met_when_every_position_is_closed() -> None:
    """Covering the whole short meets the call: no deadline is left behind to liquidate a
    later position without a call of its own."""
    m = Market()
    quantity = _margin_victim(m)
    m.run(*m.push(4))
    assert m.account("r").margin_deadline is not None
    p = m.last
    events = m.run(m.order("SHORT", "h2", quantity, p), m.order("COVER", "r", quantity, p))
    assert m.position == 0
    assert [e.agent_id for e in of(events, ev.MarginCallMet)] == ["r"]
    assert m.account("r").margin_deadline is None


def test_margin_is_checked_only_while_the_market_is_open() -> None:
    """A call made at the close whose deadline falls after hours is enforced at the first
    check of the next trading day, not after hours."""
    m = Market()
    quantity = _margin_victim(m)
    m.run_until(CONFIG.open_ticks_per_day - 1)
    (called,) = of(m.run(*m.push(4)), ev.MarginCalled)  # the closing tick
    assert m.tick == CONFIG.open_ticks_per_day
    opening = CONFIG.open_ticks_per_day + CONFIG.after_hours_ticks + 1
    assert CONFIG.open_ticks_per_day < called.deadline_tick < opening
    after_hours = m.run_until(opening - 1)
    assert not of(after_hours, ev.PositionLiquidated)
    assert not of(after_hours, ev.MarginCallMet)
    assert m.account("r").margin_deadline == called.deadline_tick
    events = m.run(m.order("SHORT", "h2", 2 * quantity, m.last))  # the next day's open
    assert of(events, ev.MarketOpened)
    (liquidated,) = of(events, ev.PositionLiquidated)
    assert (liquidated.agent_id, liquidated.remaining) == ("r", 0)


def test_liquidation_after_the_grace_ticks() -> None:
    m = Market()
    quantity = _margin_victim(m)
    m.run(*m.push(4))
    deadline = m.account("r").margin_deadline
    assert deadline is not None
    # liquidity for the forced cover; r is not yet liquidated before the deadline
    early = m.run(m.order("SHORT", "h2", 2 * quantity, m.last))
    assert m.tick < deadline
    assert not of(early, ev.PositionLiquidated)
    events = m.run_until(deadline)
    (liquidated,) = of(events, ev.PositionLiquidated)
    assert (liquidated.agent_id, liquidated.quantity, liquidated.remaining) == ("r", quantity, 0)
    forced = [e for e in of(events, ev.OrderAccepted) if e.agent_id == "r"]
    assert [(o.intent, o.order_type) for o in forced] == [(Intent.COVER, OrderType.MARKET)]
    assert m.position == 0
    assert m.account("r").margin_deadline is None
    assert m.account("r").status is AgentStatus.ACTIVE


def test_liquidation_cancels_the_agents_open_orders() -> None:
    m = Market()
    quantity = _margin_victim(m)
    m.run(*m.push(4))
    deadline = m.account("r").margin_deadline
    assert deadline is not None
    cover = m.order("COVER", "r", quantity, m.last * 95 // 100)
    resting = accepted_id(m.run(cover, m.order("SHORT", "h2", 2 * quantity, m.last)), cover)
    events = m.run_until(deadline)
    cancelled = [e for e in of(events, ev.OrderCancelled) if e.order_id == resting]
    assert [c.reason for c in cancelled] == [CancelReason.LIQUIDATION]
    assert m.position == 0


def test_bankruptcy_when_equity_goes_below_zero() -> None:
    m = Market()
    quantity = _margin_victim(m)
    commands = m.push(7)
    top = m.last
    for _ in range(7):
        top = top * (BPS + STEP_BPS) // BPS
    commands.append(m.order("SHORT", "h2", 2 * quantity, top))  # liquidity to close it out
    events = m.run(*commands)
    (bankrupt,) = of(events, ev.AgentBankrupted)
    assert bankrupt.agent_id == "r"
    assert bankrupt.net_worth < 0
    assert [(e.quantity, e.remaining) for e in of(events, ev.PositionLiquidated)] == [(quantity, 0)]
    r = m.account("r")
    assert r.status is AgentStatus.BANKRUPT
    assert r.cash == bankrupt.net_worth < 0
    buy = m.order("COVER", "r", 1, m.last)
    assert rejection(m.run(buy), buy) is RejectReason.AGENT_NOT_ACTIVE


def test_bankrupt_agents_orders_are_cancelled_with_reason_bankruptcy() -> None:
    m = Market()
    quantity = _margin_victim(m)
    cover = m.order("COVER", "r", quantity, m.last * 95 // 100)
    resting = accepted_id(m.run(cover), cover)
    commands = m.push(7)
    top = m.last
    for _ in range(7):
        top = top * (BPS + STEP_BPS) // BPS
    commands.append(m.order("SHORT", "h2", 2 * quantity, top))
    events = m.run(*commands)
    assert of(events, ev.AgentBankrupted)
    cancelled = [e for e in of(events, ev.OrderCancelled) if e.order_id == resting]
    assert [c.reason for c in cancelled] == [CancelReason.BANKRUPTCY]


def test_liquidation_that_leaves_equity_below_zero_bankrupts_the_agent() -> None:
    """Closed out at the band's top, r owes more than it has, with no positions left: the
    next margin check finds equity (its cash) below zero."""
    m = Market()
    quantity = _margin_victim(m)
    m.run(*m.push(5))
    deadline = m.account("r").margin_deadline
    assert deadline is not None
    m.run(m.order("SHORT", "h2", 2 * quantity, m.last + m.last * 1_000 // BPS))
    m.run_until(deadline)
    r = m.account("r")
    assert r.positions == {}
    assert r.cash < 0
    (bankrupt,) = of(m.run(), ev.AgentBankrupted)
    assert (bankrupt.agent_id, bankrupt.net_worth) == ("r", r.cash)
    assert r.status is AgentStatus.BANKRUPT


# --- the close --------------------------------------------------------------------------


def test_borrow_fee_charged_on_shorts_at_the_close() -> None:
    m = Market()
    short_r(m, 10)
    cash, lending = m.account("r").cash, m.world.house[HOUSE_LENDING]
    events = m.run_until(CONFIG.open_ticks_per_day)
    (charged,) = of(events, ev.BorrowFeeCharged)
    expected = 10 * m.last * CONFIG.borrow_fee_bps_per_day // BPS
    assert (charged.agent_id, charged.symbol, charged.amount) == ("r", m.symbol, expected)
    assert charged.tick == CONFIG.open_ticks_per_day
    assert m.account("r").cash == cash - expected
    assert m.world.house[HOUSE_LENDING] == lending + expected


def test_fees_are_rounded_down_to_the_cent_per_trade() -> None:
    m = Market()
    p = m.last
    events = m.run(
        m.order("SHORT", "h2", 1, p),
        m.order("BUY", "h1", 1, p),
        m.order("SHORT", "h2", 3, p),
        m.order("BUY", "h1", 3, p),
    )
    trades = of(events, ev.TradeExecuted)
    exact = [Fraction(t.price * t.quantity * CONFIG.fee_bps, BPS) for t in trades]
    assert [(t.buyer_fee, t.seller_fee) for t in trades] == [(floor(f), floor(f)) for f in exact]
    assert any(round(f) != floor(f) for f in exact)  # rounding to nearest would differ


def test_borrow_fee_is_rounded_down_to_the_cent() -> None:
    m = Market()
    short_r(m, 7)
    events = m.run_until(CONFIG.open_ticks_per_day)
    (charged,) = of(events, ev.BorrowFeeCharged)
    value = 7 * m.last
    assert charged.amount == value * CONFIG.borrow_fee_bps_per_day // BPS
    assert value * CONFIG.borrow_fee_bps_per_day % BPS  # there was a fraction to drop


def test_no_borrow_fee_before_the_close() -> None:
    m = Market()
    short_r(m, 10)
    assert not of(m.run_until(CONFIG.open_ticks_per_day - 1), ev.BorrowFeeCharged)


def test_resting_orders_expire_at_the_close() -> None:
    m = Market()
    buy = m.order("BUY", "r", 10, m.last - 10)
    order_id = accepted_id(m.run(buy), buy)
    events = m.run_until(CONFIG.open_ticks_per_day)
    (expired,) = of(events, ev.OrderExpired)
    assert (expired.order_id, expired.agent_id, expired.remaining) == (order_id, "r", 10)
    closed = of(events, ev.MarketClosed)
    assert [c.day for c in closed] == [0]
    assert events.index(expired) < events.index(closed[0])
    assert m.world.orders == {}
    assert m.world.books[m.symbol].best_bid() is None
    assert m.account("r").reserved == 0
    assert m.account("r").open_orders == {}


def test_stop_orders_expire_at_the_close_too() -> None:
    m = Market()
    stop = m.order("BUY", "r", 1, m.last + 10, OrderType.STOP)
    order_id = accepted_id(m.run(stop), stop)
    events = m.run_until(CONFIG.open_ticks_per_day)
    assert [e.order_id for e in of(events, ev.OrderExpired)] == [order_id]
    assert m.world.stops[m.symbol] == {}


def test_market_reopens_the_next_day() -> None:
    m = Market()
    per_day = CONFIG.open_ticks_per_day + CONFIG.after_hours_ticks
    events = m.run_until(per_day + 1)
    assert [e.day for e in of(events, ev.MarketOpened)] == [1]
    assert m.world.market_open
    buy = m.order("BUY", "r", 1, m.last - 1)
    assert of(m.run(buy), ev.OrderAccepted)


def test_liquidation_trades_trigger_stops() -> None:
    """A forced cover that lifts the last price through a buy stop's trigger fires the stop,
    as any other trade reaching the trigger does."""
    m = Market()
    quantity = _margin_victim(m)
    m.run(*m.push(4))
    deadline = m.account("r").margin_deadline
    assert deadline is not None
    low, high = m.last, m.last + 50
    stop = m.order("BUY", "h1", 1, high, OrderType.STOP)
    events = m.run(
        m.order("SHORT", "h2", quantity // 2, low),
        m.order("SHORT", "h2", quantity, high),
        stop,
    )
    stop_id = accepted_id(events, stop)
    assert stop_id in m.world.stops[m.symbol]  # pending: the last price is below it
    events = m.run_until(deadline)
    assert of(events, ev.PositionLiquidated)
    assert m.last == high  # the forced cover traded at the trigger ...
    assert [t.order_id for t in of(events, ev.OrderTriggered)] == [stop_id]  # ... so it fires
    assert stop_id not in m.world.stops[m.symbol]
