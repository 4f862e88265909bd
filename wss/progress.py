"""A progress bar on stderr for long replays, rebuilds, exports and imports (tqdm); silent
when stderr is not a terminal (tests, pipes, logs)."""

import sys
from typing import Any, TextIO

from tqdm import tqdm


class Progress:
    """Called with (done, total) events or messages as the work goes; ``close`` at the end."""

    def __init__(self, what: str, stream: TextIO | None = None) -> None:
        self.what, self.stream = what, stream or sys.stderr
        self.shown = self.stream.isatty()
        self._bar: Any = None  # a tqdm bar once the first figure comes

    def __call__(self, done: int, total: int) -> None:
        if not self.shown:
            return
        if self._bar is None:
            self._bar = tqdm(
                total=total, desc=self.what, unit=" events", unit_scale=True, file=self.stream
            )
        self._bar.total = total
        self._bar.update(done - self._bar.n)  # tqdm redraws at most every 0.1 s

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
