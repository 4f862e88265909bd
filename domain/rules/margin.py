"""Margin: maintenance calls, liquidation after the grace ticks, bankruptcy below zero."""

from domain.context import Recorder
from domain.orders import cancel_order, execute
from domain.state import Account
from domain.units import BPS
from schemas import events as ev
from schemas.enums import CancelReason, Intent, OrderType, Side


def check(rec: Recorder) -> None:
    """Once the tick's commands are decided, every account with exposure is checked."""
    world = rec.world
    mm_bps = world.config.maintenance_margin_bps
    for account in list(world.accounts.values()):
        # An account with no positions has nothing to check, unless a call is open (closing
        # every position meets it) or its cash, its whole equity, is below zero.
        if not account.positions and account.margin_deadline is None and account.cash >= 0:
            continue
        if not account.active:
            continue
        equity = world.equity(account)
        maintenance = world.exposure(account) * mm_bps // BPS
        if equity < 0:
            _liquidate(rec, account, CancelReason.BANKRUPTCY)
            rec.emit(
                ev.AgentBankrupted(
                    tick=rec.tick, agent_id=account.agent_id, net_worth=world.equity(account)
                )
            )
        elif equity >= maintenance:
            if account.margin_deadline is not None:
                rec.emit(ev.MarginCallMet(tick=rec.tick, agent_id=account.agent_id, equity=equity))
        elif account.margin_deadline is None:
            deadline = rec.tick + world.config.margin_grace_ticks
            rec.emit(
                ev.MarginCalled(
                    tick=rec.tick,
                    agent_id=account.agent_id,
                    equity=equity,
                    maintenance=maintenance,
                    deadline_tick=deadline,
                )
            )
        elif rec.tick >= account.margin_deadline:
            _liquidate(rec, account, CancelReason.LIQUIDATION)


def _liquidate(rec: Recorder, account: Account, reason: CancelReason) -> None:
    """Cancel everything (``reason``: a missed margin call or a bankruptcy), then close
    each position with a forced market order."""
    world = rec.world
    for order_id in list(account.open_orders):
        cancel_order(rec, world.orders[order_id], reason)
    for symbol, quantity in sorted(account.positions.items()):
        side = Side.SELL if quantity > 0 else Side.BUY
        filled = 0
        if next(world.books[symbol].plan(side.value, None), None) is not None:
            order_id = world.next_order_id
            rec.emit(
                ev.OrderAccepted(
                    tick=rec.tick,
                    command_id=f"liq.{rec.tick}.{account.agent_id}.{symbol}",
                    order_id=order_id,
                    agent_id=account.agent_id,
                    symbol=symbol,
                    intent=Intent.SELL if quantity > 0 else Intent.COVER,
                    side=side,
                    order_type=OrderType.MARKET,
                    quantity=abs(quantity),
                    price=None,
                    reserved=0,
                )
            )
            execute(rec, world.orders[order_id])  # forced trades fire stops too
            filled = abs(quantity) - abs(account.positions.get(symbol, 0))
        rec.emit(
            ev.PositionLiquidated(
                tick=rec.tick,
                agent_id=account.agent_id,
                symbol=symbol,
                quantity=filled,
                remaining=abs(quantity) - filled,
            )
        )
