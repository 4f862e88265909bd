"""eventsourcing recorders storing events in NATS JetStream streams.

Layout (see codec.py): an event is one message on `<base>.events.<id>.<version>`, its
payload the stored state, its topic in the `Es-Topic` header. A tracking record is one
message on `<base>.tracking.<upstream app>` carrying the notification id in a header.

Notification ids are JetStream stream sequences: gap-free while only events are written;
a process recorder's tracking messages share the stream (that is what makes them atomic
with the events), so its notification ids skip the sequences tracking messages took.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from threading import Event, Lock
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    IntegrityError,
    ListenNotifySubscription,
    Notification,
    ProcessRecorder,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from wss.eventstore import codec
from wss.eventstore.bridge import LoopThread
from wss.eventstore.jetstream import DIRECT_GET_PAGE, JetStream, Outgoing, StoredMsg

__all__ = [
    "JetStreamAggregateRecorder",
    "JetStreamApplicationRecorder",
    "JetStreamProcessRecorder",
    "JetStreamRecorder",
    "JetStreamTrackingRecorder",
    "StreamSpec",
]

# multi_last requests name subjects explicitly; keep each request comfortably small.
_MULTI_LAST_CHUNK = 500


class StreamSpec:
    """Where a recorder's messages live: a stream name and its subject base."""

    def __init__(self, stream: str, base: str, *, purpose: str = "events") -> None:
        self.stream = stream
        self.base = base
        self.events = f"{base}.{purpose}"
        self.tracking = f"{base}.tracking"
        # Only the main stream holds tracking subjects (streams' subjects must not overlap).
        self.with_tracking = purpose == "events"

    def subjects(self) -> list[str]:
        subjects = [f"{self.events}.>"]
        if self.with_tracking:
            subjects.append(f"{self.tracking}.>")
        return subjects


class JetStreamRecorder:
    """Shared plumbing: the loop thread, the JetStream helper and the stream spec."""

    def __init__(self, loop: LoopThread, js: JetStream, spec: StreamSpec) -> None:
        self.loop = loop
        self.js = js
        self.spec = spec
        self.stream = spec.stream

    def _run(self, coro: Any) -> Any:
        # Every reply is already bounded by js.timeout; this only guards against a hang.
        return self.loop.run(coro, timeout=self.js.timeout * 12)

    def create_stream(self) -> None:
        self._run(self.js.ensure_stream(self.stream, self.spec.subjects()))

    # --- events ------------------------------------------------------------------------

    def _event_subject(self, originator_id: UUID | str, version: int) -> str:
        return f"{self.spec.events}.{codec.encode_id(originator_id)}.{version}"

    def _outgoing(self, stored_events: Sequence[StoredEvent]) -> list[Outgoing]:
        return [
            Outgoing(
                subject=self._event_subject(s.originator_id, s.originator_version),
                payload=s.state,
                headers={codec.TOPIC_HEADER: codec.encode_topic(s.topic)},
                expect_last_subject_seq=0,  # "this version must not exist yet"
            )
            for s in stored_events
        ]

    def _to_stored_event(self, msg: StoredMsg) -> StoredEvent:
        id_token, _, version = msg.subject[len(self.spec.events) + 1 :].rpartition(".")
        return StoredEvent(
            originator_id=codec.decode_id(id_token),
            originator_version=int(version),
            topic=codec.decode_topic(msg.headers.get(codec.TOPIC_HEADER, "")),
            state=msg.data,
        )

    async def _select_events(
        self,
        originator_id: UUID | str,
        gt: int | None,
        lte: int | None,
        desc: bool,
        limit: int | None,
    ) -> list[StoredEvent]:
        # 1) list the aggregate's subjects (versions) without payloads, 2) fetch just those.
        prefix = f"{self.spec.events}.{codec.encode_id(originator_id)}."
        counts = await self.js.subject_counts(self.stream, prefix + "*")
        versions = sorted(int(s[len(prefix) :]) for s in counts)
        versions = [v for v in versions if (gt is None or v > gt) and (lte is None or v <= lte)]
        if desc:
            versions.reverse()
        if limit is not None:
            versions = versions[:limit]
        chunks = [
            versions[i : i + _MULTI_LAST_CHUNK] for i in range(0, len(versions), _MULTI_LAST_CHUNK)
        ]
        replies = await asyncio.gather(
            *(
                self.js.direct_get(
                    self.stream,
                    {"multi_last": [prefix + str(v) for v in chunk], "batch": len(chunk)},
                )
                for chunk in chunks
            )
        )
        by_subject = {m.subject: m for msgs, _ in replies for m in msgs}
        return [self._to_stored_event(by_subject[prefix + str(v)]) for v in versions]

    # --- tracking ----------------------------------------------------------------------

    def _tracking_subject(self, application_name: str) -> str:
        return f"{self.spec.tracking}.{codec.encode_name(application_name)}"

    async def _tracking_outgoing(self, tracking: Tracking) -> Outgoing:
        """Check the new position is ahead, and make the write fail if anyone moved it."""
        subject = self._tracking_subject(tracking.application_name)
        last = await self.js.last_for(self.stream, subject)
        if last is not None:
            current = int(last.headers[codec.NOTIFICATION_ID_HEADER])
            if tracking.notification_id <= current:
                msg = (
                    f"Tracking notification ID {tracking.notification_id} not greater "
                    f"than current max tracking ID {current}"
                )
                raise IntegrityError(msg)
        return Outgoing(
            subject=subject,
            payload=b"",
            headers={codec.NOTIFICATION_ID_HEADER: str(tracking.notification_id)},
            expect_last_subject_seq=last.seq if last is not None else 0,
        )

    async def _max_tracking_id(self, application_name: str) -> int | None:
        last = await self.js.last_for(self.stream, self._tracking_subject(application_name))
        return None if last is None else int(last.headers[codec.NOTIFICATION_ID_HEADER])


class JetStreamAggregateRecorder(JetStreamRecorder, AggregateRecorder):
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self._insert(stored_events, **kwargs)
        return None

    def _insert(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        outgoing = self._outgoing(stored_events)
        if not outgoing:
            return []
        last_seq: int = self._run(self.js.publish_atomic(outgoing))
        return list(range(last_seq - len(outgoing) + 1, last_seq + 1))

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        result: list[StoredEvent] = self._run(
            self._select_events(originator_id, gt, lte, desc, limit)
        )
        return result


class JetStreamApplicationRecorder(JetStreamAggregateRecorder, ApplicationRecorder):
    def __init__(self, loop: LoopThread, js: JetStream, spec: StreamSpec) -> None:
        super().__init__(loop, js, spec)
        self._listeners: set[Event] = set()
        self._listen_lock = Lock()
        self._watching = False

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return self._insert(stored_events, **kwargs)

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        first = 1 if start is None else (start if inclusive_of_start else start + 1)
        result: list[Notification] = self._run(
            self._select_notifications(max(first, 1), limit, stop, frozenset(topics))
        )
        return result

    async def _select_notifications(
        self, seq: int, limit: int, stop: int | None, topics: frozenset[str]
    ) -> list[Notification]:
        found: list[Notification] = []
        while len(found) < limit and (stop is None or seq <= stop):
            want = DIRECT_GET_PAGE if topics else min(limit - len(found), DIRECT_GET_PAGE)
            if stop is not None:
                want = min(want, stop - seq + 1)
            msgs, pending = await self.js.direct_get(
                self.stream, {"seq": seq, "batch": want, "next_by_subj": f"{self.spec.events}.>"}
            )
            for msg in msgs:
                if stop is not None and msg.seq > stop:
                    return found
                event = self._to_stored_event(msg)
                if topics and event.topic not in topics:
                    continue
                found.append(
                    Notification(
                        id=msg.seq,
                        originator_id=event.originator_id,
                        originator_version=event.originator_version,
                        topic=event.topic,
                        state=event.state,
                    )
                )
                if len(found) == limit:
                    return found
            if not msgs or pending == 0:
                break
            seq = msgs[-1].seq + 1
        return found

    def max_notification_id(self) -> int | None:
        last: StoredMsg | None = self._run(self.js.last_for(self.stream, f"{self.spec.events}.>"))
        return None if last is None else last.seq

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        self._watch()
        return JetStreamSubscription(recorder=self, gt=gt, topics=topics)

    # Listeners are woken by an ordered consumer: it only delivers *stored* messages, so
    # a woken subscription never races ahead of what select_notifications can see.
    def _watch(self) -> None:
        with self._listen_lock:
            if self._watching:
                return
            self._run(self._start_consumer())
            self._watching = True

    async def _start_consumer(self) -> None:
        async def wake(_: Msg) -> None:
            for listener in list(self._listeners):
                listener.set()

        await self.js.nc.jetstream().subscribe(
            f"{self.spec.events}.>",
            stream=self.stream,
            cb=wake,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
            headers_only=True,
        )

    def listen(self, event: Event) -> None:
        self._listeners.add(event)

    def unlisten(self, event: Event) -> None:
        self._listeners.discard(event)


class JetStreamSubscription(ListenNotifySubscription[JetStreamApplicationRecorder]):
    def __init__(
        self,
        recorder: JetStreamApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._recorder.listen(self._has_been_notified)
        # Pull once more: closes the window between the first pull and listen().
        self._has_been_notified.set()

    def stop(self) -> None:
        super().stop()
        self._recorder.unlisten(self._has_been_notified)


class JetStreamTrackingRecorder(JetStreamRecorder, TrackingRecorder):
    def insert_tracking(self, tracking: Tracking) -> None:
        self._run(self._insert_tracking(tracking))

    async def _insert_tracking(self, tracking: Tracking) -> None:
        await self.js.publish_atomic([await self._tracking_outgoing(tracking)])

    def max_tracking_id(self, application_name: str) -> int | None:
        result: int | None = self._run(self._max_tracking_id(application_name))
        return result


class JetStreamProcessRecorder(
    JetStreamTrackingRecorder, JetStreamApplicationRecorder, ProcessRecorder
):
    def _insert(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        tracking: Tracking | None = kwargs.get("tracking")
        if tracking is None:
            return super()._insert(stored_events)
        result: list[int] = self._run(self._insert_with_tracking(stored_events, tracking))
        return result

    async def _insert_with_tracking(
        self, stored_events: Sequence[StoredEvent], tracking: Tracking
    ) -> list[int]:
        # The tracking message goes last, so the events take the batch's first sequences.
        outgoing = [*self._outgoing(stored_events), await self._tracking_outgoing(tracking)]
        last_seq = await self.js.publish_atomic(outgoing)
        first = last_seq - len(outgoing) + 1
        return list(range(first, first + len(stored_events)))
