"""Market regimes: each one's drift and volatility, the daily chance to turn, the operator's pin."""

from dataclasses import dataclass

from domain.context import Recorder, TickContext
from domain.units import BPS
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import Regime


@dataclass(frozen=True, slots=True)
class RegimeRules:
    drift_bps_per_day: int  # market factor drift of fundamentals per trading day
    vol_pct: int  # volatility multiplier, percent of the sector's


REGIMES: dict[Regime, RegimeRules] = {
    Regime.NORMAL: RegimeRules(0, 100),
    Regime.BULL: RegimeRules(40, 90),
    Regime.BEAR: RegimeRules(-40, 130),
    Regime.CRASH: RegimeRules(-400, 300),
    Regime.BUBBLE: RegimeRules(150, 160),
}

# Each day at the close, a regime may switch by chance (in 1/10,000ths), except when an
# operator set it: the same regime then holds until the operator changes it again.
REGIME_SWITCH_CHANCE = 500  # 5% a day
REGIME_NEXT: dict[Regime, tuple[Regime, ...]] = {
    Regime.NORMAL: (Regime.BULL, Regime.BEAR, Regime.BUBBLE),
    Regime.BULL: (Regime.NORMAL, Regime.BUBBLE),
    Regime.BEAR: (Regime.NORMAL, Regime.CRASH),
    Regime.CRASH: (Regime.BEAR, Regime.NORMAL),
    Regime.BUBBLE: (Regime.CRASH, Regime.NORMAL),
}


def set_regime(rec: Recorder, c: cmd.SetRegime) -> None:
    """SET_REGIME (operator): the regime holds until the operator changes it again."""
    rec.emit(ev.RegimeChanged(tick=rec.tick, regime=c.regime, command_id=c.command_id))


def maybe_turn(rec: Recorder, ctx: TickContext) -> None:
    """At the close, an unpinned regime turns by chance to one of its neighbours."""
    world = rec.world
    if not world.regime_pinned and ctx.rng.randrange(BPS) < REGIME_SWITCH_CHANCE:
        choices = REGIME_NEXT[world.regime]
        regime = choices[ctx.rng.randrange(len(choices))]
        rec.emit(ev.RegimeChanged(tick=rec.tick, regime=regime, command_id=None))
