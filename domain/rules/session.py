"""Trading sessions: the open, day orders expiring at the close, the season's end."""

from domain import clock
from domain.context import Recorder
from domain.orders import cancel_order
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import CancelReason


def open_market(rec: Recorder) -> None:
    rec.emit(ev.MarketOpened(tick=rec.tick, day=clock.day_of(rec.tick, rec.world.config)))


def close_market(rec: Recorder) -> None:
    """Every open order is a day order: it expires at the close, then the market closes."""
    world = rec.world
    for order in list(world.orders.values()):
        rec.emit(
            ev.OrderExpired(
                tick=rec.tick,
                order_id=order.order_id,
                agent_id=order.agent_id,
                symbol=order.symbol,
                remaining=order.remaining,
            )
        )
    rec.emit(ev.MarketClosed(tick=rec.tick, day=clock.day_of(rec.tick, world.config)))


def end_season(rec: Recorder, stop: cmd.StopSeason) -> None:
    """STOP_SEASON's outcome, once the tick's trading is done: open orders are cancelled."""
    for order in list(rec.world.orders.values()):
        cancel_order(rec, order, CancelReason.SEASON_END)
    rec.emit(
        ev.SeasonEnded(tick=rec.tick, command_id=stop.command_id, reason="stopped by operator")
    )
