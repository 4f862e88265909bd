"""Prison (rules v2): who goes in, for how long, and the release when the sentence ends.

A prisoner's open orders are cancelled as it goes in; while inside it cannot act (every
command is refused with ``agent_imprisoned``); it is released at the start of the tick its
sentence ends, before that tick's commands.
"""

from domain.context import Recorder
from domain.state import Account
from schemas import events as ev
from schemas.enums import CancelReason

PRISON_TICKS = 120  # a conviction's sentence, times (1 + the suspect's prior convictions)
FLIGHT_PRISON_TICKS = 60  # a caught fugitive's immediate term (a conviction adds to it)


def sentence_ticks(prior_convictions: int) -> int:
    return PRISON_TICKS * (1 + prior_convictions)


def cancel_open_orders(rec: Recorder, account: Account, reason: CancelReason) -> None:
    """Every open order of ``account`` cancelled, in order-id order."""
    orders = rec.world.orders
    for order_id in list(account.open_orders):
        order = orders[order_id]
        rec.emit(
            ev.OrderCancelled(
                tick=rec.tick,
                order_id=order_id,
                agent_id=account.agent_id,
                symbol=order.symbol,
                remaining=order.remaining,
                reason=reason,
            )
        )


def imprison(rec: Recorder, account: Account, case_id: int, ticks: int, reason: str) -> None:
    """Into prison for ``ticks`` more ticks (added to a term already being served)."""
    term = rec.world.prison.get(account.agent_id)
    start = max(rec.tick, term[0]) if term is not None else rec.tick
    cancel_open_orders(rec, account, CancelReason.IMPRISONED)
    rec.emit(
        ev.AgentImprisoned(
            tick=rec.tick,
            case_id=case_id,
            agent_id=account.agent_id,
            release_tick=start + ticks,
            reason=reason,
        )
    )


def release(rec: Recorder) -> None:
    """Phase 0 (v2): prisoners whose sentence ends at or before this tick walk out."""
    world = rec.world
    if not world.prison:
        return
    for agent_id, (release_tick, case_id) in list(world.prison.items()):
        if release_tick > rec.tick:
            continue
        rec.emit(
            ev.AgentReleased(
                tick=rec.tick,
                agent_id=agent_id,
                case_id=case_id,
                reason=f"sentence of case {case_id} served",
            )
        )
