"""An eventsourcing persistence module backed by NATS JetStream.

Select it the standard way: `PERSISTENCE_MODULE=wss.eventstore` and `NATS_URL=nats://...`.

Concurrency control. Each event is one message on the subject
`<prefix>.<app>.events.<originator id>.<version>`, published with
`Nats-Expected-Last-Subject-Sequence: 0` ("no message on this subject yet"). The server
checks that under its stream lock, so a second writer of the same (id, version) gets
"wrong last sequence", raised as eventsourcing's `IntegrityError`. A write of several
events is one JetStream *atomic batch* (ADR-50, nats-server >= 2.12, stream option
`allow_atomic`): the expectations of all messages are checked at commit and either every
message is stored, on consecutive stream sequences, or none is. Single-event writes are
a plain publish (one round trip); batches pipeline all messages and wait only for the
first-message ack and the commit ack. Tracking records use the same mechanism with
"last sequence = the one I read" (compare-and-set) on one subject per upstream app, and a
process recorder puts the tracking message in the same atomic batch as its events.

Limits (documented, by design):
  * at most 1000 events per write (the server's atomic-batch cap; DataError beyond that);
  * at most 50 concurrent multi-event writes per stream (server cap on batches in flight);
  * one subject per event: the server's per-subject index grows with the event count;
  * notification ids are stream sequences; a process recorder's tracking messages share
    the stream, so its notification ids have gaps (allowed by eventsourcing);
  * originator ids map to subject tokens (UUIDs as hex; other strings readable when
    subject-safe, else base64url); a UUID and its str form are different aggregates;
  * stream and subject names sanitise the app name/prefix to [A-Za-z0-9_-].
"""

from wss.eventstore.factory import Factory, JetStreamFactory
from wss.eventstore.recorders import (
    JetStreamAggregateRecorder,
    JetStreamApplicationRecorder,
    JetStreamProcessRecorder,
    JetStreamTrackingRecorder,
)

__all__ = [
    "Factory",
    "JetStreamAggregateRecorder",
    "JetStreamApplicationRecorder",
    "JetStreamFactory",
    "JetStreamProcessRecorder",
    "JetStreamTrackingRecorder",
]
