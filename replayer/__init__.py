"""Replay past seasons: verify them tick for tick, rebuild state at any tick."""

from replayer.fold import Folded, fold
from replayer.verify import Verdict, rebuild, recorded_ticks, verify

__all__ = ["Folded", "Verdict", "fold", "rebuild", "recorded_ticks", "verify"]
