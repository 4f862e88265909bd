"""The port every read projection implements: fold a batch of events, remember where.

A projection stores the stream sequence of the last event it applied *with* its rows
(one transaction, or idempotent inserts keyed by sequence), so that a crash or a
redelivery never double-counts. The runner feeds it batches from the season's event
stream starting right after ``position()``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from schemas.events import Event


class StoreUnavailable(RuntimeError):
    """A projection's store cannot be opened now (busy, down): expected, retried, and
    reported as one line, without a traceback."""


@dataclass(frozen=True, slots=True)
class Sequenced:
    """An event with its JetStream stream sequence (its position in the log)."""

    seq: int
    event: Event


class Projection(Protocol):
    name: str

    async def position(self) -> int:
        """Stream sequence of the last applied event; 0 when empty."""
        ...

    async def apply(self, batch: Sequence[Sequenced]) -> None:
        """Apply events (ascending seq) and record the last seq, atomically.

        Events at or below ``position()`` must be ignored (redelivery).
        """
        ...

    async def reset(self) -> None:
        """Drop everything, position back to 0 (for a rebuild)."""
        ...
