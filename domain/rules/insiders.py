"""The CEO, the insider (rules v2): tied to one listed company, told its earnings early.

A CEO registering is appointed to the listed companies in turn (the first CEO to the
first company in listing order, the next to the second, ..., wrapping around):
``CeoAppointed``. ``CEO_PREVIEW_TICKS`` open minutes before the close of the day before its
company reports (reports come at an open, after the closed hours, so a preview counted
back from the report itself would arrive while the market is shut), the CEO gets
``EarningsPreviewed`` (private, on its own channel and webhook) with the surprise the
report will carry (exactly, unless the regime changes at a close in
between, which rescales it). Trading on it is insider trading (domain/rules/surveillance).
"""

from domain import clock
from domain.context import Recorder
from domain.outcomes import reject_command
from domain.rules import earnings, registration
from domain.state import SEC_AGENT_ID
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import RejectReason, Role

CEO_PREVIEW_TICKS = 30


def register(rec: Recorder, c: cmd.RegisterAgent) -> None:
    """Registration (the built-in SEC's id is taken), then a CEO's appointment."""
    if c.agent_id == SEC_AGENT_ID:
        reject_command(rec, c, RejectReason.AGENT_EXISTS, "the built-in SEC's id")
        return
    registration.register(rec, c)
    world = rec.world
    registered = rec.events and isinstance(rec.events[-1], ev.AgentRegistered)
    if not registered or c.role is not Role.CEO or not world.companies:
        return
    symbols = list(world.companies)
    symbol = symbols[len(world.ceo_of) % len(symbols)]
    rec.emit(ev.CeoAppointed(tick=rec.tick, agent_id=c.agent_id, symbol=symbol))


def preview(rec: Recorder) -> None:
    """Each active CEO whose company reports at the next open is told, CEO_PREVIEW_TICKS
    open minutes before today's close."""
    world = rec.world
    if not world.ceo_of:
        return
    config = world.config
    closing = rec.tick + CEO_PREVIEW_TICKS
    if not clock.is_closing_tick(closing, config) or not clock.is_market_open(rec.tick, config):
        return
    report_tick = closing + config.after_hours_ticks + 1  # the next opening tick
    index = {symbol: i for i, symbol in enumerate(world.companies)}
    for agent_id, symbol in world.ceo_of.items():
        if not world.accounts[agent_id].active:
            continue
        if not earnings.reports_on(report_tick, index[symbol], world.config):
            continue
        dice = earnings.surprise_dice(world.seed, report_tick, symbol)
        rec.emit(
            ev.EarningsPreviewed(
                tick=rec.tick,
                agent_id=agent_id,
                symbol=symbol,
                quarter=world.companies[symbol].quarter + 1,
                report_tick=report_tick,
                surprise_bps=earnings.surprise_bps(dice, world.regime),
            )
        )
