"""Refusals: a refused order command gets ``OrderRejected``, any other ``CommandRejected``."""

from domain.context import Recorder
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import RejectReason

ORDER_COMMANDS = (cmd.Buy, cmd.Sell, cmd.Short, cmd.Cover)
StepInput = cmd.CommandBase | cmd.Malformed


def reject_order(
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


def reject_command(rec: Recorder, c: StepInput, reason: RejectReason, detail: str) -> None:
    """The one outcome of any other refused command (and of malformed input)."""
    rec.emit(
        ev.CommandRejected(
            tick=rec.tick,
            command_id=c.command_id,
            agent_id=c.agent_id,
            command_type=c.type,
            reason=reason,
            detail=detail,
        )
    )


def refuse(rec: Recorder, c: StepInput, reason: RejectReason, detail: str) -> None:
    """Refuse ``c`` with the outcome event of its kind."""
    if isinstance(c, (*ORDER_COMMANDS, cmd.CancelOrder)):
        reject_order(rec, c, reason, detail)
    else:
        reject_command(rec, c, reason, detail)
