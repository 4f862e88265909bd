"""A tick's summaries: each touched position once, and one bar per traded symbol."""

from domain.context import Recorder
from schemas import events as ev


def emit(rec: Recorder) -> None:
    world = rec.world
    for agent_id, symbol in rec.touched:
        account = world.accounts[agent_id]
        rec.emit(
            ev.PositionChanged(
                tick=rec.tick,
                agent_id=agent_id,
                symbol=symbol,
                quantity=account.positions.get(symbol, 0),
                cash=account.cash,
            )
        )
    for symbol in sorted(rec.bars):
        bar = rec.bars[symbol]
        rec.emit(
            ev.BarClosed(
                tick=rec.tick,
                symbol=symbol,
                open=bar.open,
                high=bar.high,
                low=bar.low,
                close=bar.close,
                volume=bar.volume,
                notional=bar.notional,
                trades=bar.trades,
            )
        )
