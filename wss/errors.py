"""One root for the shell's errors; the CLI prints them without a traceback."""


class WssError(Exception):
    """An error with a message meant for the person at the terminal."""


class SeasonNotFound(WssError):
    def __init__(self, season: str) -> None:
        super().__init__(f"season {season!r} not found (list them with: wss seasons)")


class Fenced(WssError):
    """Another engine holds the season (lease), or appended to its log before us."""


class AppendUnacknowledged(WssError):
    """A tick's append got no answer in time: whether it landed is unknown, so stop."""


class Diverged(WssError):
    """Re-running a half-published tick gave different events: the run is not deterministic."""


class SeasonSealed(WssError):
    def __init__(self, season: str) -> None:
        super().__init__(f"season {season!r} has ended; its log is sealed")
