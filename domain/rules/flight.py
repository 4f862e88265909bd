"""FLEE (rules v2): leave the market for good.

With no open case against it an agent always gets away. Under investigation the escape
succeeds when a seeded die (0..99) falls below ``escape_pct = max(10, 90 - strength)``,
the strength being that of its strongest open case. Away: its open orders are cancelled,
its status is ``fled``, its assets are frozen for good (it can never act again) and it
leaves the leaderboard; its cases are tried in absentia (a fine, no prison). Caught: it is
charged at once if it was not, and goes straight to prison for ``FLIGHT_PRISON_TICKS``.
A charged (frozen) suspect may still try: its assets stay frozen wherever it ends up.
"""

from domain.context import Recorder
from domain.rng import generator
from domain.rules import investigations, prison
from domain.rules.legal import accepted
from domain.state import Account, Case
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import CancelReason, CaseStatus

ESCAPE_BASE_PCT = 90
ESCAPE_FLOOR_PCT = 10
CERTAIN = 100


def escape_pct(strength: int) -> int:
    return max(ESCAPE_FLOOR_PCT, ESCAPE_BASE_PCT - strength)


def strongest_case(rec: Recorder, agent_id: str) -> Case | None:
    best: Case | None = None
    for case in rec.world.cases.values():
        live = case.status in (CaseStatus.OPEN, CaseStatus.CHARGED)
        if case.suspect_id == agent_id and live and (best is None or case.strength > best.strength):
            best = case
    return best


def flee(rec: Recorder, account: Account, c: cmd.Flee) -> None:
    case = strongest_case(rec, account.agent_id)
    pct = CERTAIN if case is None else escape_pct(case.strength)
    die = generator(rec.world.seed, rec.tick, f"flee:{account.agent_id}:{c.command_id}")
    roll = -1 if case is None else die.randrange(100)
    if roll < pct:
        accepted(rec, c, f"fled to {c.destination}", c.destination)
        prison.cancel_open_orders(rec, account, CancelReason.AGENT_LEFT)
        under = "" if case is None else f" with case {case.case_id} open ({pct}% chance)"
        rec.emit(
            ev.AgentFled(
                tick=rec.tick,
                agent_id=account.agent_id,
                destination=c.destination,
                case_id=None if case is None else case.case_id,
                escape_pct=pct,
                roll=roll,
                reason=f"got away to {c.destination}{under}",
            )
        )
        return
    assert case is not None
    accepted(rec, c, f"caught fleeing ({pct}% chance to escape): straight to prison", c.destination)
    rec.emit(
        ev.FlightFailed(
            tick=rec.tick,
            agent_id=account.agent_id,
            destination=c.destination,
            case_id=case.case_id,
            escape_pct=pct,
            roll=roll,
            reason=f"caught at the border under case {case.case_id} (strength {case.strength})",
        )
    )
    if case.status is CaseStatus.OPEN:
        investigations.charge_now(rec, case, "caught fleeing")
    prison.imprison(
        rec,
        account,
        case.case_id,
        prison.FLIGHT_PRISON_TICKS,
        f"caught fleeing case {case.case_id}",
    )
