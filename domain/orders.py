"""The order lifecycle: accept, match against the book, run the stops it fires, cancel.

Each function decides events and hands them to the ``Recorder``, which applies them at
once; nothing here writes to the world directly. Which orders are accepted is
``domain.rules.admission``; what they pay, ``domain.rules.fees``.
"""

from domain.context import Recorder
from domain.orderbook import BUY, Order
from domain.outcomes import reject_order
from domain.rules.admission import SIDE_OF, refusal
from domain.rules.fees import affordable, trade_fee
from domain.rules.leverage import OPENING, buying_power, reservation
from domain.rules.stops import Fired
from domain.state import Account
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import CancelReason, Intent, OrderType, RejectReason

INTENT_OF: dict[str, Intent] = {i.value: i for i in Intent}  # enum calls are slow


def place(rec: Recorder, account: Account, c: cmd.OrderCommand) -> None:
    """BUY / SELL / SHORT / COVER: one OrderAccepted or OrderRejected, then what follows."""
    world = rec.world
    refused = refusal(world, account, c)
    if refused is not None:
        reject_order(rec, c, *refused)
        return
    order_id = world.next_order_id
    rec.emit(
        ev.OrderAccepted(
            tick=rec.tick,
            command_id=c.command_id,
            order_id=order_id,
            agent_id=account.agent_id,
            symbol=c.symbol,
            intent=INTENT_OF[c.type],
            side=SIDE_OF[c.type],
            order_type=c.order_type,
            quantity=c.quantity,
            price=c.price,
            reserved=reservation(c),
        )
    )
    order = world.orders[order_id]
    fired = Fired()
    if c.order_type is OrderType.STOP:
        fired.on_acceptance(rec, order)
    else:
        _walk(rec, order, fired)
    _run_fired(rec, fired)


def execute(rec: Recorder, order: Order) -> None:
    """Walk an accepted order, then every stop its trades fire (a forced liquidation)."""
    fired = Fired()
    _walk(rec, order, fired)
    _run_fired(rec, fired)


def _run_fired(rec: Recorder, fired: Fired) -> None:
    """Each fired stop executes as a market order, in the order they fired; the stops its
    own trades fire queue behind the others."""
    while fired.queue:
        _walk(rec, fired.queue.popleft(), fired)


def _walk(rec: Recorder, order: Order, fired: Fired) -> None:
    """Trade ``order`` against the book; a non-LIMIT remainder is cancelled.

    Events in order: self-trade cancels, then the trades (each followed by the stops it
    fires), then the remainder's cancel.
    """
    world = rec.world
    account = world.accounts[order.agent_id]
    book = world.books[order.symbol]
    limit = order.price if order.order_type == OrderType.LIMIT else None
    # A LIMIT taker was put in the book by OrderAccepted; its own budget is reserved.
    budget = None
    if order.intent in OPENING and limit is None:
        budget = buying_power(world, account)
    fee_bps = world.config.fee_bps
    wanted = order.remaining
    fills: list[tuple[Order, int]] = []
    self_cancels: list[Order] = []
    starved = False
    for maker in book.plan(order.side, limit):
        if maker.agent_id == order.agent_id:
            self_cancels.append(maker)
            continue
        take = min(wanted, maker.remaining)
        if budget is not None:
            can = affordable(budget, maker.price, fee_bps)
            if can < take:
                take, starved = can, True
            budget -= take * maker.price + trade_fee(take * maker.price, fee_bps)
        if take > 0:
            fills.append((maker, take))
            wanted -= take
        if wanted == 0 or starved:
            break
    for maker in self_cancels:
        cancel_order(rec, maker, CancelReason.SELF_TRADE)
    aggressor = SIDE_OF[order.side]
    pending = world.stops[order.symbol]
    for maker, take in fills:
        fee = trade_fee(maker.price * take, fee_bps)
        buy, sell = (order, maker) if order.side == BUY else (maker, order)
        rec.trade(
            ev.TradeExecuted(
                tick=rec.tick,
                trade_id=world.next_trade_id,
                symbol=order.symbol,
                price=maker.price,
                quantity=take,
                buy_order_id=buy.order_id,
                sell_order_id=sell.order_id,
                buyer_id=buy.agent_id,
                seller_id=sell.agent_id,
                buyer_fee=fee,
                seller_fee=fee,
                aggressor=aggressor,
            )
        )
        if pending:
            fired.on_print(rec, order.symbol, maker.price)
    if limit is None and order.remaining > 0:
        reason = CancelReason.BUYING_POWER if starved else CancelReason.MARKET_REMAINDER
        cancel_order(rec, order, reason)


def cancel_order(
    rec: Recorder, order: Order, reason: CancelReason, command_id: str | None = None
) -> None:
    rec.emit(
        ev.OrderCancelled(
            tick=rec.tick,
            order_id=order.order_id,
            agent_id=order.agent_id,
            symbol=order.symbol,
            remaining=order.remaining,
            reason=reason,
            command_id=command_id,
        )
    )


def cancel(rec: Recorder, account: Account, c: cmd.CancelOrder) -> None:
    """CANCEL_ORDER: only an open order of one's own."""
    order = rec.world.orders.get(c.order_id)
    if order is None or order.agent_id != account.agent_id:
        reason = RejectReason.UNKNOWN_ORDER if order is None else RejectReason.NOT_YOUR_ORDER
        reject_order(rec, c, reason, f"order {c.order_id} is not an open order of yours")
        return
    cancel_order(rec, order, CancelReason.BY_AGENT, command_id=c.command_id)
