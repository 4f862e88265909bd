"""Deciding orders: validation, matching plans, buying power, stops and cancels.

Each function decides events and hands them to the ``Recorder``, which applies them at
once; nothing here writes to the world directly.
"""

from domain.context import Recorder
from domain.orderbook import BUY, Order
from domain.rules import BPS
from domain.state import Account, World
from domain.stops import Fired
from schemas import commands as cmd
from schemas import events as ev
from schemas import limits
from schemas.enums import CancelReason, Intent, OrderType, RejectReason, Side

SIDE_OF: dict[str, Side] = {
    "BUY": Side.BUY,
    "COVER": Side.BUY,
    "SELL": Side.SELL,
    "SHORT": Side.SELL,
}
INTENT_OF: dict[str, Intent] = {i.value: i for i in Intent}  # enum calls are slow
OPENING = frozenset({"BUY", "SHORT"})  # intents that add exposure and need buying power


def buying_power(world: World, account: Account) -> int:
    """Exposure an agent may still add: equity x leverage - exposure - held for orders."""
    equity, exposure = world.equity_exposure(account)
    return equity * account.max_leverage - exposure - account.reserved


def reject(
    rec: Recorder, c: cmd.OrderCommand | cmd.CancelOrder, reason: RejectReason, detail: str
) -> None:
    """The one outcome of a refused BUY/SELL/SHORT/COVER/CANCEL_ORDER."""
    rec.emit(
        ev.OrderRejected(
            tick=rec.tick,
            command_id=c.command_id,
            agent_id=c.agent_id,
            command_type=c.type,
            symbol=c.symbol if isinstance(c, cmd.OrderCommand) else None,
            reason=reason,
            detail=detail,
        )
    )


def _refusal(
    world: World, account: Account, c: cmd.OrderCommand
) -> tuple[RejectReason, str] | None:
    """Why an order can't be accepted, or None. Order of checks = order in docs/rules.md."""
    company = world.companies.get(c.symbol)
    if company is None:
        return RejectReason.UNKNOWN_SYMBOL, f"no listed company {c.symbol}"
    if not world.market_open:
        return RejectReason.MARKET_CLOSED, "orders are taken while the market is open"
    if not limits.MIN_QUANTITY <= c.quantity <= limits.MAX_QUANTITY:
        return RejectReason.BAD_QUANTITY, f"quantity must be 1..{limits.MAX_QUANTITY}"
    if c.order_type is OrderType.MARKET:
        if c.price is not None:
            return RejectReason.BAD_PRICE, "a MARKET order takes no price"
    elif c.price is None or not limits.MIN_PRICE_CENTS <= c.price <= limits.MAX_PRICE_CENTS:
        return RejectReason.BAD_PRICE, "price must be 1..100,000,000 cents"
    elif abs(c.price - company.last_price) * BPS > world.config.price_band_bps * company.last_price:
        band = world.config.price_band_bps / 100
        return (
            RejectReason.PRICE_OUT_OF_BAND,
            f"price more than {band:g}% from {company.last_price}",
        )
    position = account.positions.get(c.symbol, 0)
    if c.type == "BUY" and position < 0:
        return RejectReason.POSITION_IS_SHORT, "you are short: COVER to buy back"
    if c.type == "SHORT" and position > 0:
        return RejectReason.POSITION_IS_LONG, "you are long: SELL first"
    if c.type == "SELL" and c.quantity > position - account.selling.get(c.symbol, 0):
        return (
            RejectReason.INSUFFICIENT_SHARES,
            f"you can sell at most {max(0, position - account.selling.get(c.symbol, 0))}",
        )
    if c.type == "COVER" and c.quantity > -position - account.covering.get(c.symbol, 0):
        return RejectReason.INSUFFICIENT_SHORT, "cover at most your open short"
    if c.type in OPENING and c.order_type is not OrderType.MARKET:
        need = c.quantity * (c.price or 0)
        need += need * world.config.fee_bps // BPS
        if need > buying_power(world, account):
            return RejectReason.INSUFFICIENT_BUYING_POWER, f"needs {need} cents of buying power"
    return None


def place(rec: Recorder, account: Account, c: cmd.OrderCommand) -> None:
    """BUY / SELL / SHORT / COVER: one OrderAccepted or OrderRejected, then what follows."""
    world = rec.world
    refusal = _refusal(world, account, c)
    if refusal is None and c.order_type is OrderType.MARKET:
        refusal = _market_refusal(world, account, c)
    if refusal is not None:
        reject(rec, c, *refusal)
        return
    price = c.price
    opening = c.type in OPENING
    # A LIMIT or STOP BUY/SHORT holds quantity x price of buying power while it is open.
    reserved = c.quantity * price if opening and price else 0
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
            price=price,
            reserved=reserved,
        )
    )
    order = world.orders[order_id]
    fired = Fired()
    if c.order_type is OrderType.STOP:
        fired.on_acceptance(rec, order)
    else:
        _walk(rec, order, fired)
    _run_fired(rec, fired)


def _market_refusal(
    world: World, account: Account, c: cmd.OrderCommand
) -> tuple[RejectReason, str] | None:
    """A MARKET order needs someone to trade with and, to open, one share's buying power."""
    makers = world.books[c.symbol].plan(SIDE_OF[c.type], None)
    first = next(makers, None)
    if first is None:
        return RejectReason.NO_LIQUIDITY, "no resting orders on the other side"
    if c.type not in OPENING:
        return None
    # The first order it would trade with (its own resting ones are cancelled, not hit).
    if first.agent_id == account.agent_id:
        first = next((o for o in makers if o.agent_id != account.agent_id), None)
    power = buying_power(world, account)
    if power <= 0 or (first is not None and _affordable(power, first.price, world) == 0):
        at = "" if first is None else f" at {first.price}"
        return (
            RejectReason.INSUFFICIENT_BUYING_POWER,
            f"buying power of {max(0, power)} cents pays for no share{at} with its fee",
        )
    return None


def _affordable(budget: int, price: int, world: World) -> int:
    """Shares at ``price`` that ``budget`` pays for, fee included."""
    return budget * BPS // (price * (BPS + world.config.fee_bps))


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
            affordable = _affordable(budget, maker.price, world)
            if affordable < take:
                take, starved = affordable, True
            budget -= take * maker.price + take * maker.price * fee_bps // BPS
        if take > 0:
            fills.append((maker, take))
            wanted -= take
        if wanted == 0 or starved:
            break
    for maker in self_cancels:
        rec.emit(
            ev.OrderCancelled(
                tick=rec.tick,
                order_id=maker.order_id,
                agent_id=maker.agent_id,
                symbol=maker.symbol,
                remaining=maker.remaining,
                reason=CancelReason.SELF_TRADE,
            )
        )
    aggressor = SIDE_OF[order.side]
    pending = world.stops[order.symbol]
    for maker, take in fills:
        notional = maker.price * take
        fee = notional * fee_bps // BPS
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
    order = rec.world.orders.get(c.order_id)
    if order is None or order.agent_id != account.agent_id:
        reason = RejectReason.UNKNOWN_ORDER if order is None else RejectReason.NOT_YOUR_ORDER
        reject(rec, c, reason, f"order {c.order_id} is not an open order of yours")
        return
    cancel_order(rec, order, CancelReason.BY_AGENT, command_id=c.command_id)
