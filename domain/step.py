"""step(world, commands, ctx) -> events: one tick of the market, decided and applied.

This module is only the phase order of a tick; each phase is decided by the rule set the
season runs under (``domain.rules.versions``), each rule by its own module.
"""

from collections.abc import Sequence

from domain import clock, dispatch, summaries
from domain.context import Recorder, TickContext
from domain.hashing import state_hash
from domain.outcomes import StepInput, refuse
from domain.rules.versions import rule_set
from domain.state import World
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import RejectReason


def step(world: World, commands: Sequence[StepInput], ctx: TickContext) -> list[ev.EventBase]:
    """Run tick ``ctx.tick`` over ``commands`` (in stream order). Mutates ``world`` only
    through ``evolve`` of the returned events."""
    rec = Recorder(world, ctx.tick)
    # Configuration first: an operator's CONFIGURE_SEASON (a fork's new rules) rules the
    # whole tick that consumes it (domain/rules/configuration.py).
    for command in commands:
        if isinstance(command, cmd.ConfigureSeason):
            dispatch.decide(rec, rule_set(world.rules_version), command)
    rules = rule_set(world.rules_version)
    config, tick = world.config, ctx.tick
    live = world.started and not world.ended
    # 0. (v2) Prisoners whose sentence ended walk out; CEOs hear of coming earnings.
    if live:
        rules.before_commands(rec, ctx)
    # 1. The open: the bell, then the morning's earnings reports.
    if live and clock.is_opening_tick(tick, config):
        rules.open_market(rec)
        rules.report_earnings(rec, ctx)
    # 2. Every open minute: fundamentals drift, then the built-in traders trade.
    if live and world.market_open:
        rules.drift(rec, ctx)
        for builtin in rules.builtin_commands(world, ctx.rng, tick):
            dispatch.decide(rec, rules, builtin)
    # 3. The agents' commands, in stream order; a STOP_SEASON takes effect at 6.
    stop: cmd.StopSeason | None = None
    for command in commands:
        if isinstance(command, cmd.ConfigureSeason):
            continue  # decided before the tick's first phase
        if isinstance(command, cmd.StopSeason) and command.agent_id == cmd.OPERATOR_ID:
            if stop is not None:  # one stop per tick; a second one still gets its outcome
                refuse(rec, command, RejectReason.SEASON_NOT_RUNNING, "the season is stopping")
                continue
            stop = command
        dispatch.decide(rec, rules, command)
    # 4. Margin checks, on the prices the minute's trading left.
    live = world.started and not world.ended
    if live and world.market_open:
        rules.check_margin(rec)
    # 5. The close: day orders expire, shorts pay their borrow fee, the regime may turn.
    if live and world.market_open and clock.is_closing_tick(tick, config):
        rules.close_market(rec)
        rules.charge_borrow_fees(rec)
        rules.turn_regime(rec, ctx)
    # 5b. (v2) The SEC's surveillance over what the tick added to its windows, then
    # justice: the tick's suspicions open cases, charges, trials and verdicts.
    if live:
        rules.surveil(rec)
        rules.after_trading(rec, ctx)
    # 6. The season's end, if the operator stopped it.
    if stop is not None and live:
        rules.end_season(rec, stop)
    # 6b. (v2) The news: a story for each significant event the tick decided.
    if world.started:
        rules.report_news(rec)
    # 7. Summaries, then TickClosed with the state hash.
    summaries.emit(rec)
    rec.emit(
        ev.TickClosed(
            tick=tick,
            sim_time=ctx.sim_time.isoformat(),
            first_command_seq=ctx.first_command_seq,
            last_command_seq=ctx.last_command_seq,
            commands=len(commands),
            events=len(rec.events) + 1,
            state_hash=state_hash(world),
        )
    )
    return rec.events


__all__ = ["StepInput", "step"]
