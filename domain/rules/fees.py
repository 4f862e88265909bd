"""Fees: the trading fee on each side of a trade, and the daily borrow fee on shorts."""

from domain.context import Recorder
from domain.units import BPS
from schemas import events as ev


def trade_fee(notional: int, fee_bps: int) -> int:
    """What each side of a trade pays the house, rounded down."""
    return notional * fee_bps // BPS


def with_fee(notional: int, fee_bps: int) -> int:
    """Cash a buy of ``notional`` needs, its fee included."""
    return notional + trade_fee(notional, fee_bps)


def affordable(budget: int, price: int, fee_bps: int) -> int:
    """Shares at ``price`` that ``budget`` pays for, fee included."""
    return budget * BPS // (price * (BPS + fee_bps))


def charge_borrow_fees(rec: Recorder) -> None:
    """At the close, each short pays ``borrow_fee_bps_per_day`` of its marked value."""
    world = rec.world
    bps = world.config.borrow_fee_bps_per_day
    for account in list(world.accounts.values()):
        for symbol, quantity in sorted(account.positions.items()):
            fee = -quantity * world.mark(symbol) * bps // BPS if quantity < 0 else 0
            if fee > 0:
                rec.emit(
                    ev.BorrowFeeCharged(
                        tick=rec.tick, agent_id=account.agent_id, symbol=symbol, amount=fee
                    )
                )
