"""World snapshots through the eventsourcing persistence module on JetStream.

A snapshot is an eventsourcing ``StoredEvent`` in the ``snapshots`` recorder: the
originator is the season's world aggregate, the version is the tick, the state is the
compressed canonical image plus the event-stream position it stands for. A restart loads
the latest one and folds only the events after it, so restart time stays flat.
"""

import asyncio
import json
import logging
import uuid
import zlib
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import Environment

from domain.hashing import restore, snapshot
from domain.state import NAMESPACE, World
from wss.eventstore import Factory

TOPIC = "wss.snapshot:World"
MAX_SNAPSHOT_BYTES = 900_000  # below NATS's default 1 MiB payload limit
SNAPSHOTS_TRIED = 5  # newest first, before folding from the start
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Snapshot:
    world: World
    event_seq: int  # the TickClosed this image stands right after
    last_hash: str  # that TickClosed's state hash


class SnapshotStore:
    def __init__(self, nats_url: str) -> None:
        self.factory = Factory(
            Environment(name="wss", env={"NATS_URL": nats_url, "JETSTREAM_STREAM_PREFIX": "wss"})
        )
        self.recorder = self.factory.aggregate_recorder("snapshots")

    @staticmethod
    def originator(season: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"season/{season}")

    def _insert(self, season: str, tick: int, state: bytes) -> None:
        self.recorder.insert_events(
            [
                StoredEvent(
                    originator_id=self.originator(season),
                    originator_version=tick,
                    topic=TOPIC,
                    state=state,
                )
            ]
        )

    def _latest(self, season: str) -> Snapshot | None:
        """The newest snapshot this build can read; older formats are passed over (a
        build that adds state to the image cannot restore an image without it), and with
        none readable the reader folds from the log's start: slower, never wrong."""
        found = self.recorder.select_events(
            self.originator(season), desc=True, limit=SNAPSHOTS_TRIED
        )
        for stored in found:
            image: dict[str, Any] = json.loads(zlib.decompress(stored.state))
            try:
                world = restore(image["world"])
            except (ValueError, KeyError, TypeError) as error:
                log.warning(
                    "snapshot of %s at tick %d is unreadable by this build (%s: %s); "
                    "trying an older one", season, stored.originator_version,
                    type(error).__name__, error,
                )  # fmt: skip
                continue
            return Snapshot(
                world=world,
                event_seq=int(image["event_seq"]),
                last_hash=str(image["last_hash"]),
            )
        return None

    async def save(self, season: str, world: World, event_seq: int, last_hash: str) -> bool:
        """Image the world now (it changes next tick), store it off the event loop."""
        state = zlib.compress(
            json.dumps(
                {"event_seq": event_seq, "last_hash": last_hash, "world": snapshot(world)}
            ).encode(),
            6,
        )
        if len(state) > MAX_SNAPSHOT_BYTES:
            return False  # too big for one message: restarts fold from the previous one
        await asyncio.to_thread(self._insert, season, world.tick, state)
        return True

    async def latest(self, season: str) -> Snapshot | None:
        return await asyncio.to_thread(self._latest, season)

    def close(self) -> None:
        self.factory.close()


async def latest_snapshot(nats_url: str, season: str) -> Snapshot | None:
    """The season's latest snapshot, through a store opened (and closed) for this read:
    where a reader of the log (SSE hub, the gateway's live world) starts."""
    store = await asyncio.to_thread(SnapshotStore, nats_url)
    try:
        return await store.latest(season)
    finally:
        await asyncio.to_thread(store.close)
