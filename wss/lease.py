"""The single-writer lease: one engine per season, handed over only when it goes stale.

A key per season in a JetStream KV bucket, written with compare-and-set on its revision.
The holder renews it every tick (and at least every ``ttl/3`` while idle); a second
engine finds a fresh lease and refuses to start. After ``kill -9`` the lease goes stale
within ``ttl`` seconds and a restarted engine takes it over; on the same host, a holder
whose process is gone is stale at once (a resume right after ``kill -9`` need not
wait). The log itself is guarded too: events carry ``Nats-Expected-Last-Sequence``, so
even a split-brain cannot interleave two writers' events.
"""

import contextlib
import json
import os
import socket
import time

from nats.js.client import JetStreamContext
from nats.js.errors import APIError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from wss import kv
from wss.errors import Fenced
from wss.homeserver import pid_alive

LEASES_BUCKET = "wss_leases"


class Lease:
    """``key``: what is leased (a season id, or ``project.<season>.<name>``)."""

    def __init__(self, js: JetStreamContext, key: str, ttl: float, label: str = "") -> None:
        self.js, self.key, self.ttl = js, key, ttl
        self.label = label or f"season {key}"
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"
        self._revision: int | None = None
        self._renewed = 0.0

    async def _bucket(self) -> KeyValue:
        return await kv.bucket(self.js, LEASES_BUCKET)

    def _value(self) -> bytes:
        held = {"owner": self.owner, "renewed": time.time(), "ttl": self.ttl}
        return json.dumps(held).encode()

    async def acquire(self) -> None:
        kv = await self._bucket()
        entry = await _entry(kv, self.key)
        if entry is None or not entry.value:
            try:
                self._revision = await kv.create(self.key, self._value())
            except (KeyWrongLastSequenceError, APIError):
                raise Fenced(f"{self.label} is being started by another process") from None
        else:
            held = json.loads(entry.value)
            age = time.time() - float(held["renewed"])
            if age < self.ttl and not _holder_is_gone(str(held["owner"])):
                raise Fenced(
                    f"{self.label} is already running elsewhere ({held['owner']}, "
                    f"renewed {age:.1f}s ago); stop it first"
                )
            try:
                self._revision = await kv.update(self.key, self._value(), last=entry.revision)
            except (KeyWrongLastSequenceError, APIError):
                raise Fenced(f"{self.label} was taken over by another process") from None
        self._renewed = time.monotonic()

    async def renew(self, force: bool = False) -> None:
        """Renew when a third of the ttl has passed (or always with ``force``)."""
        if not force and time.monotonic() - self._renewed < self.ttl / 3:
            return
        kv = await self._bucket()
        try:
            self._revision = await kv.update(self.key, self._value(), last=self._revision)
        except (KeyWrongLastSequenceError, APIError):
            raise Fenced(f"{self.label}: lease lost to another process; stopping") from None
        self._renewed = time.monotonic()

    async def confirm(self) -> None:
        """``Fenced`` if the lease is no longer ours (taken over while we were away)."""
        entry = await _entry(await self._bucket(), self.key)
        if entry is None or entry.revision != self._revision:
            raise Fenced(f"{self.label}: lease lost to another process; stopping")

    async def release(self) -> None:
        if self._revision is None:
            return
        kv = await self._bucket()
        # If someone else holds it now, there is nothing of ours to release.
        with contextlib.suppress(KeyWrongLastSequenceError, APIError):
            await kv.delete(self.key, last=self._revision)
        self._revision = None


async def lease_is_live(js: JetStreamContext, key: str, default_ttl: float) -> bool:
    """Whether someone holds ``key`` now: renewed within its holder's ttl."""
    entry = await _entry(await kv.bucket(js, LEASES_BUCKET), key)
    if entry is None or not entry.value:
        return False
    held = json.loads(entry.value)
    ttl = float(held.get("ttl", default_ttl))
    return time.time() - float(held["renewed"]) < ttl


def _holder_is_gone(owner: str) -> bool:
    """Whether ``owner`` (``host:pid:nonce``) names a process on this host that has exited."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not pid_alive(int(pid))


async def _entry(bucket: KeyValue, key: str) -> KeyValue.Entry | None:
    try:
        return await bucket.get(key)
    except KeyNotFoundError:
        return None
