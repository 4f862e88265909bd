"""Whether the read side is keeping up: failed projection tasks, named, with their event.

A read-side task (a projection, the SSE hub) that fails must never freeze silently. It is
run under ``supervise``: the failure is logged once, with the stream sequence of the
event it failed at, recorded here (which the gateway's ``/ready`` and
``wss project --status`` show), and the task is retried with exponential backoff until
it gets past that event; then the failure is cleared.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from projections.base import StoreUnavailable

__all__ = ["Failure", "ProjectionFailed", "ReadHealth", "supervise"]

log = logging.getLogger(__name__)

BACKOFF_MIN_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0


class ProjectionFailed(Exception):
    """A projection could not apply the event at ``seq``."""

    def __init__(self, name: str, seq: int, cause: BaseException) -> None:
        super().__init__(f"projection {name} failed at event {seq}: {describe(cause)}")
        self.name, self.seq, self.cause = name, seq, cause


def describe(error: BaseException) -> str:
    """One line: the exception's type and the first line of its message."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


@dataclass(frozen=True, slots=True)
class Failure:
    name: str
    seq: int | None  # the event it failed at (None: not while applying an event)
    error: str
    since: float  # time.time() of the first failure
    attempts: int

    def line(self) -> str:
        at = f" at event {self.seq}" if self.seq is not None else ""
        return f"{self.name} failed{at}: {self.error} ({self.attempts} attempts)"


Listener = Callable[[str, "Failure | None"], None]


@dataclass
class ReadHealth:
    """The read side's failures by task name; empty when everything keeps up."""

    failures: dict[str, Failure] = field(default_factory=dict)
    listeners: list[Listener] = field(default_factory=list)

    def failed(self, name: str, error: BaseException) -> Failure:
        seq = error.seq if isinstance(error, ProjectionFailed) else None
        cause = error.cause if isinstance(error, ProjectionFailed) else error
        previous = self.failures.get(name)
        failure = Failure(
            name=name,
            seq=seq,
            error=describe(cause),
            since=previous.since if previous else time.time(),
            attempts=previous.attempts + 1 if previous else 1,
        )
        self.failures[name] = failure
        # Once per distinct failure: a task retrying the same event does not flood the log.
        if previous is None or (previous.seq, previous.error) != (failure.seq, failure.error):
            expected = isinstance(cause, StoreUnavailable)  # one line says it all
            log.error("read side: %s", failure.line(), exc_info=None if expected else cause)
        for listener in self.listeners:
            listener(name, failure)
        return failure

    def recovered(self, name: str) -> None:
        previous = self.failures.pop(name, None)
        if previous is None:
            return
        log.warning("read side: %s recovered after %d attempts", name, previous.attempts)
        for listener in self.listeners:
            listener(name, None)

    @property
    def ok(self) -> bool:
        return not self.failures


async def supervise(
    name: str,
    run: Callable[[], Awaitable[object]],
    health: ReadHealth,
    *,
    backoff_min: float = BACKOFF_MIN_SECONDS,
    backoff_max: float = BACKOFF_MAX_SECONDS,
) -> None:
    """Run ``run()`` until it returns or is cancelled, retrying failures with backoff.

    ``run`` should call ``health.recovered(name)`` once it makes progress again (the
    projection runner does so after each applied batch).
    """

    def note(state: RetryCallState) -> None:
        if state.outcome is not None and (error := state.outcome.exception()) is not None:
            health.failed(name, error)

    async def attempt() -> None:
        await run()  # a coroutine function: tenacity awaits only those

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(Exception),
        wait=wait_exponential(multiplier=backoff_min, min=backoff_min, max=backoff_max),
        before_sleep=note,
        reraise=True,
    )
    await retrying(attempt)
