"""Replay past seasons: verify them tick for tick, rebuild state at any tick, fork them,
archive them, export them; ``replayer.open(season)`` gives a notebook its DataFrames."""

from typing import Any

from replayer.fold import Folded, fold
from replayer.verify import Verdict, rebuild, recorded_ticks, verify

__all__ = ["Folded", "Verdict", "fold", "open", "rebuild", "recorded_ticks", "verify"]


def __getattr__(name: str) -> Any:
    """``open`` and ``load_season`` import pandas: only when a notebook asks for them
    (the engine imports the fold from here and must not pay for it)."""
    if name in ("open", "open_season", "load_season", "Season"):
        from replayer import notebook  # noqa: PLC0415

        return {"open": notebook.open_season}.get(name) or getattr(notebook, name)
    raise AttributeError(f"module 'replayer' has no attribute {name!r}")
