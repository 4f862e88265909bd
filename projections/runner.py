"""Feed a projection from a season's event stream, in batches, resuming at its position.

The projection keeps its own position (``Projection.position()``), so the consumer here is
ephemeral: a pull consumer starting at ``position + 1`` with no acks, deleted on exit.
Losing it loses nothing; the next run starts from the stored position again.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import Error as JetStreamError

from projections.base import Projection, Sequenced
from projections.health import ProjectionFailed
from schemas.events import parse_event
from wss.streams import SeasonStreams

__all__ = ["Progress", "apply_locating", "lag", "rebuild", "run_projection"]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called after each applied batch with ``(position, last_seq)``: events done / total."""


async def lag(js: JetStreamContext, season: str, projection: Projection) -> tuple[int, int]:
    """``(projection position, last sequence of the season's event stream)``."""
    info = await js.stream_info(SeasonStreams(season).event_stream)
    return await projection.position(), info.state.last_seq


async def run_projection(
    js: JetStreamContext,
    season: str,
    projection: Projection,
    *,
    batch_size: int = 1000,
    stop_when_caught_up: bool = False,
    progress: Progress | None = None,
    fetch_timeout: float = 1.0,
) -> int:
    """Apply the season's events after ``projection.position()``; returns the final position.

    Runs until cancelled, or with ``stop_when_caught_up`` until it has applied everything
    the stream held when the call started. A batch is applied when it is full or when the
    consumer has nothing more pending, so a live tail stays fresh.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    streams = SeasonStreams(season)
    position, last_seq = await lag(js, season, projection)
    if progress is not None:
        progress(position, last_seq)  # the store answers: a supervisor may clear a failure
    if stop_when_caught_up and position >= last_seq:
        return position

    info = await js.add_consumer(
        streams.event_stream,
        ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=position + 1,
            ack_policy=AckPolicy.NONE,
            filter_subject=streams.event_subjects,
            # Reaped by the server if this process dies without deleting it.
            inactive_threshold=60.0,
            mem_storage=True,
        ),
    )
    sub = await js.pull_subscribe_bind(consumer=info.name, stream=streams.event_stream)
    try:
        return await _consume(
            sub,
            projection,
            position,
            last_seq if stop_when_caught_up else None,
            batch_size=batch_size,
            progress=progress,
            fetch_timeout=fetch_timeout,
        )
    finally:
        with contextlib.suppress(JetStreamError, nats.errors.Error, TimeoutError):
            await sub.unsubscribe()
            await js.delete_consumer(streams.event_stream, info.name)


async def _consume(
    sub: JetStreamContext.PullSubscription,
    projection: Projection,
    position: int,
    target: int | None,
    *,
    batch_size: int,
    progress: Progress | None,
    fetch_timeout: float,
) -> int:
    pending: list[Sequenced] = []
    total = max(position, target or 0)
    while True:
        try:
            msgs = await sub.fetch(batch_size - len(pending), timeout=fetch_timeout)
        except (nats.errors.TimeoutError, TimeoutError):
            msgs = []
        for msg in msgs:
            seq = msg.metadata.sequence.stream
            try:
                event = parse_event(msg.data)
            except ValueError as exc:  # pydantic's ValidationError: unreadable bytes
                raise ProjectionFailed(projection.name, seq, exc) from exc
            pending.append(Sequenced(seq, event))
        drained = not msgs or msgs[-1].metadata.num_pending == 0
        if msgs:
            total = max(total, pending[-1].seq + msgs[-1].metadata.num_pending)
        if pending and (len(pending) >= batch_size or drained):
            await apply_locating(projection, pending)
            position = pending[-1].seq
            pending = []
            if progress is not None:
                progress(position, total)
        # Nothing pending means everything up to the stream's end at fetch time (>= target)
        # is applied; this also ends the run if the target's messages were deleted.
        if target is not None and (position >= target or (drained and not pending)):
            return position


async def apply_locating(projection: Projection, batch: list[Sequenced]) -> None:
    """Apply ``batch``; if that fails, apply it event by event to name the failing event.

    Each apply is atomic and skips what is already applied, so the events before the
    culprit are simply stored one by one; ``ProjectionFailed`` carries the culprit's seq.
    """
    try:
        await projection.apply(batch)
    except Exception:  # noqa: BLE001 - any failure: locate the event, then report it
        log.debug("batch %d..%d failed; applying it event by event", batch[0].seq, batch[-1].seq)
    else:
        return
    for item in batch:
        try:
            await projection.apply([item])
        except Exception as exc:
            raise ProjectionFailed(projection.name, item.seq, exc) from exc


async def rebuild(
    js: JetStreamContext,
    season: str,
    projection: Projection,
    *,
    batch_size: int = 1000,
    progress: Progress | None = None,
) -> int:
    """Drop the projection's rows and replay the season's whole event stream into it."""
    await projection.reset()
    position = await run_projection(
        js,
        season,
        projection,
        batch_size=batch_size,
        stop_when_caught_up=True,
        progress=progress,
    )
    log.info("rebuilt %s for season %s up to seq %d", projection.name, season, position)
    return position
