"""A one-line progress bar on stderr for long replays, exports and imports; silent when
stderr is not a terminal (tests, pipes, logs)."""

import sys
import time
from typing import TextIO

EVERY_SECONDS = 0.2


class Progress:
    def __init__(self, what: str, stream: TextIO | None = None) -> None:
        self.what, self.stream = what, stream or sys.stderr
        self.shown = self.stream.isatty()
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        """``done`` of ``total`` (events, messages): redrawn at most every 0.2 s."""
        now = time.monotonic()
        if not self.shown or (now - self._last < EVERY_SECONDS and done < total):
            return
        self._last = now
        width = 30
        filled = width * done // total if total else width
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\r{self.what} [{bar}] {done:,}/{total:,}")
        self.stream.flush()

    def close(self) -> None:
        if self.shown and self._last:
            self.stream.write("\n")
            self.stream.flush()
