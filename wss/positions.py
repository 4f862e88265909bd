"""Projection positions and failures as reported to the ``wss_projections`` KV bucket.

Each report is keyed by season, projection *and store* (``<season>.<name>.<store id>``):
a rebuild into another database (``DATABASE_URL=... wss project --rebuild``) reports under
its own key and never overwrites the live projection's position. The store id is a short
hash of the store's URL with any password removed; the value names the store readably.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from nats.js.client import JetStreamContext
from nats.js.errors import KeyNotFoundError, NoKeysError
from nats.js.kv import KeyValue

from projections.health import Failure
from wss import kv
from wss.settings import Settings
from wss.stores import store_label

__all__ = [
    "POSITIONS_BUCKET",
    "Report",
    "Reporter",
    "position_key",
    "positions_bucket",
    "reported",
    "reported_position",
]

POSITIONS_BUCKET = "wss_projections"
REPORT_EVERY_SECONDS = 1.0


def position_key(season: str, name: str, settings: Settings) -> str:
    store = hashlib.sha256(store_label(name, settings).encode()).hexdigest()[:12]
    return f"{season}.{name}.{store}"


async def positions_bucket(js: JetStreamContext) -> KeyValue:
    return await kv.bucket(js, POSITIONS_BUCKET)


@dataclass(frozen=True, slots=True)
class Report:
    key: str
    store: str
    position: int | None  # None: the store never answered
    last_seq: int
    failure: dict[str, Any] | None  # Failure's fields while the projection is failing


async def reported(js: JetStreamContext, season: str, name: str) -> list[Report]:
    """Every store's report for this season's projection (one per store it was run on)."""
    bucket = await positions_bucket(js)
    try:
        keys = await bucket.keys()  # (nats-py's filters are substrings, not subjects)
    except NoKeysError:
        return []
    prefix = f"{season}.{name}."
    out = []
    for key in sorted(k for k in keys if k.startswith(prefix)):
        try:
            entry = await bucket.get(key)
        except KeyNotFoundError:
            continue  # deleted in between
        value = json.loads(entry.value or b"{}")
        out.append(
            Report(
                key=key,
                store=str(value.get("store", "?")),
                position=_int_or_none(value.get("position")),
                last_seq=int(value.get("last_seq", 0)),
                failure=value.get("failure"),
            )
        )
    return out


async def reported_position(js: JetStreamContext, key: str) -> int | None:
    bucket = await positions_bucket(js)
    try:
        entry = await bucket.get(key)
    except KeyNotFoundError:
        return None
    return _int_or_none(json.loads(entry.value or b"{}").get("position"))


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


@dataclass
class Reporter:
    """Throttled position reports (from the runner's sync callback) and immediate failure
    reports (from the supervisor), merged into one value per key."""

    kv: KeyValue
    key: str
    store: str
    last: float = 0.0
    position: int | None = None
    last_seq: int = 0
    failure: Failure | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def __call__(self, position: int, last_seq: int) -> None:
        self.position, self.last_seq = position, last_seq
        now = time.monotonic()
        if now - self.last < REPORT_EVERY_SECONDS and position < last_seq:
            return
        self.last = now
        self._put()

    def health(self, failure: Failure | None) -> None:
        self.failure = failure
        self._put()

    def _put(self) -> None:
        value = {
            "store": self.store,
            "position": self.position,
            "last_seq": self.last_seq,
            "failure": None
            if self.failure is None
            else {
                "seq": self.failure.seq,
                "error": self.failure.error,
                "since": self.failure.since,
            },
        }
        task = asyncio.get_running_loop().create_task(
            self.kv.put(self.key, json.dumps(value).encode())
        )
        self.tasks.add(task)  # keep a reference until done
        task.add_done_callback(self.tasks.discard)

    async def flush(self) -> None:
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
