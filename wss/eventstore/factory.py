"""The eventsourcing InfrastructureFactory for JetStream (`PERSISTENCE_MODULE=wss.eventstore`).

Environment (eventsourcing `Environment`, so `<APP>_NATS_URL` overrides `NATS_URL`):
  NATS_URL                 server URL (default nats://127.0.0.1:4222)
  JETSTREAM_STREAM_PREFIX  stream name / subject prefix (default "es")
  NATS_TIMEOUT             seconds to wait for any one server reply (default 5)
  CREATE_TABLE             "n" to expect the streams to exist already (default: create)
"""

from __future__ import annotations

import weakref
from typing import TypeVar

from eventsourcing.persistence import InfrastructureFactory, ProcessRecorder
from eventsourcing.utils import Environment, EnvType, resolve_topic, strtobool

from wss.eventstore import codec
from wss.eventstore.bridge import LoopThread
from wss.eventstore.jetstream import JetStream
from wss.eventstore.recorders import (
    JetStreamAggregateRecorder,
    JetStreamApplicationRecorder,
    JetStreamProcessRecorder,
    JetStreamRecorder,
    JetStreamTrackingRecorder,
    StreamSpec,
)
from wss.natsserver import connect

__all__ = ["Factory", "JetStreamFactory"]

DEFAULT_URL = "nats://127.0.0.1:4222"

R = TypeVar("R", bound=JetStreamRecorder)


class JetStreamFactory(InfrastructureFactory[JetStreamTrackingRecorder]):
    NATS_URL = "NATS_URL"
    JETSTREAM_STREAM_PREFIX = "JETSTREAM_STREAM_PREFIX"
    NATS_TIMEOUT = "NATS_TIMEOUT"
    CREATE_TABLE = "CREATE_TABLE"

    aggregate_recorder_class = JetStreamAggregateRecorder
    application_recorder_class = JetStreamApplicationRecorder
    tracking_recorder_class = JetStreamTrackingRecorder
    process_recorder_class = JetStreamProcessRecorder

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        self.url = self.env.get(self.NATS_URL) or DEFAULT_URL
        timeout = float(self.env.get(self.NATS_TIMEOUT) or 5)
        self._loop = LoopThread()
        # Close the loop thread even if the application forgets to call close().
        self._finalizer = weakref.finalize(self, self._loop.close)
        try:
            name = f"eventstore:{self.env.name or 'default'}"
            nc = self._loop.run(connect(self.url, name=name), timeout=timeout * 4)
            self.js = JetStream(nc, timeout=timeout)
            self._loop.run(self.js.start(), timeout=timeout)
        except BaseException:
            self._finalizer()
            raise

    # --- naming ------------------------------------------------------------------------

    def _spec(self, purpose: str = "events") -> StreamSpec:
        prefix = codec.sanitize(self.env.get(self.JETSTREAM_STREAM_PREFIX) or "es")
        app = codec.sanitize(self.env.name or "default")
        if purpose != codec.sanitize(purpose) or purpose == "tracking":
            msg = f"invalid recorder purpose {purpose!r}"
            raise ValueError(msg)
        stream = f"{prefix}_{app}" if purpose == "events" else f"{prefix}_{app}_{purpose}"
        return StreamSpec(stream=stream, base=f"{prefix}.{app}", purpose=purpose)

    def stream_names(self) -> list[str]:
        """The streams this factory's application uses (events, snapshots)."""
        return [self._spec().stream, self._spec("snapshots").stream]

    def _prepare(self, recorder: R) -> R:
        if strtobool(self.env.get(self.CREATE_TABLE) or "yes"):
            recorder.create_stream()
        return recorder

    # --- recorders ---------------------------------------------------------------------

    def aggregate_recorder(self, purpose: str = "events") -> JetStreamAggregateRecorder:
        return self._prepare(
            self.aggregate_recorder_class(self._loop, self.js, self._spec(purpose))
        )

    def application_recorder(self) -> JetStreamApplicationRecorder:
        topic = self.env.get(self.APPLICATION_RECORDER_TOPIC)
        cls: type[JetStreamApplicationRecorder] = (
            resolve_topic(topic) if topic else self.application_recorder_class
        )
        return self._prepare(cls(self._loop, self.js, self._spec()))

    def tracking_recorder(
        self, tracking_recorder_class: type[JetStreamTrackingRecorder] | None = None
    ) -> JetStreamTrackingRecorder:
        if tracking_recorder_class is None:
            topic = self.env.get(self.TRACKING_RECORDER_TOPIC)
            tracking_recorder_class = (
                resolve_topic(topic) if topic else self.tracking_recorder_class
            )
        assert tracking_recorder_class is not None
        return self._prepare(tracking_recorder_class(self._loop, self.js, self._spec()))

    def process_recorder(self) -> ProcessRecorder:
        topic = self.env.get(self.PROCESS_RECORDER_TOPIC)
        cls: type[JetStreamProcessRecorder] = (
            resolve_topic(topic) if topic else self.process_recorder_class
        )
        return self._prepare(cls(self._loop, self.js, self._spec()))

    # --- lifecycle ---------------------------------------------------------------------

    def delete_streams(self) -> None:
        """Drop this application's streams (tests, resets). Missing streams are fine."""
        for name in self.stream_names():
            try:
                self._loop.run(self.js.delete_stream(name), timeout=self.js.timeout * 2)
            except Exception as exc:
                if "not found" not in str(exc):
                    raise

    def close(self) -> None:
        if not self._loop.closed:
            try:
                self._loop.run(self.js.nc.close(), timeout=self.js.timeout)
            finally:
                self._finalizer()


Factory = JetStreamFactory
