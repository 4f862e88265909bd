"""Replay past seasons: verify them tick for tick, rebuild state at any tick."""

from replayer.verify import Verdict, rebuild, recorded_ticks, verify

__all__ = ["Verdict", "rebuild", "recorded_ticks", "verify"]
