"""The few JetStream operations the recorders need, as raw protocol on one connection.

Why raw: nats-py has no atomic-batch publisher and no batched direct get, and its
`publish_async` cannot parse the empty ack the server sends for a batch's first message.
All replies come back on one wildcard inbox, routed to per-request queues, so several
messages can be written back-to-back (pipelined) and awaited together.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import (
    DataError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
)
from nats.aio.client import Client
from nats.aio.msg import Msg

__all__ = ["MAX_ATOMIC_BATCH", "JetStream", "Outgoing", "StoredMsg"]

# The server's default limit on messages per atomic batch (ADR-50).
MAX_ATOMIC_BATCH = 1000
# Direct-get page size: bounded so one reply stream never grows without limit.
DIRECT_GET_PAGE = 1000

# Server error codes meaning "an expectation about existing messages failed".
_WRONG_LAST_SEQUENCE = 10071
_BATCH_WRONG_LAST_SEQUENCE = 10164
_CONFLICT_CODES = frozenset({_WRONG_LAST_SEQUENCE, _BATCH_WRONG_LAST_SEQUENCE})
_STREAM_NOT_FOUND = 10059
_BATCH_TOO_LARGE = 10199

# Headers the server adds to direct-get replies; stripped from what we hand back.
_EXPECT_LAST_SUBJECT_SEQ = "Nats-Expected-Last-Subject-Sequence"


@dataclass(frozen=True)
class Outgoing:
    subject: str
    payload: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    # None: no expectation; 0: subject must be empty; n: subject's last message must be seq n.
    expect_last_subject_seq: int | None = None


@dataclass(frozen=True)
class StoredMsg:
    subject: str
    seq: int
    data: bytes
    headers: Mapping[str, str]


def _api_error(resp: Mapping[str, Any], what: str) -> Exception:
    err = resp["error"]
    code = int(err.get("err_code", 0))
    text = f"{what}: {err.get('description', 'JetStream error')} (err_code={code})"
    if code in _CONFLICT_CODES:
        return IntegrityError(text)
    if code == _BATCH_TOO_LARGE:
        return DataError(text)
    if code == _STREAM_NOT_FOUND:
        return ProgrammingError(text)
    return OperationalError(text)


class JetStream:
    """Pipelined JetStream publish / direct-get over a single reply subscription."""

    def __init__(self, nc: Client, timeout: float = 5.0) -> None:
        self.nc = nc
        self.timeout = timeout
        self._prefix = nc.new_inbox()
        self._queues: dict[str, asyncio.Queue[Msg]] = {}
        self._tokens = itertools.count()

    async def start(self) -> None:
        await self.nc.subscribe(f"{self._prefix}.*", cb=self._route)

    async def _route(self, msg: Msg) -> None:
        queue = self._queues.get(msg.subject.rpartition(".")[2])
        if queue is not None:
            queue.put_nowait(msg)

    def _open(self) -> tuple[str, str, asyncio.Queue[Msg]]:
        token = str(next(self._tokens))
        queue: asyncio.Queue[Msg] = asyncio.Queue()
        self._queues[token] = queue
        return token, f"{self._prefix}.{token}", queue

    async def _next(self, queue: asyncio.Queue[Msg], what: str) -> Msg:
        try:
            return await asyncio.wait_for(queue.get(), self.timeout)
        except TimeoutError:
            msg = f"{what}: no reply from NATS within {self.timeout}s"
            raise OperationalError(msg) from None

    async def request_json(self, subject: str, body: Mapping[str, Any] | None = None) -> Any:
        """A JetStream API call; raises the mapped eventsourcing error on an error reply."""
        token, inbox, queue = self._open()
        try:
            payload = json.dumps(body).encode() if body is not None else b""
            await self.nc.publish(subject, payload, reply=inbox)
            reply = await self._next(queue, subject)
        finally:
            del self._queues[token]
        resp = json.loads(reply.data)
        if "error" in resp:
            raise _api_error(resp, subject)
        return resp

    # --- writing -----------------------------------------------------------------------

    async def publish_atomic(self, msgs: Sequence[Outgoing]) -> int:
        """Store all of `msgs` or none; returns the stream sequence of the last one.

        The messages occupy consecutive sequences ending at the returned one.
        """
        if not msgs:
            msg = "nothing to publish"
            raise ProgrammingError(msg)
        if len(msgs) > MAX_ATOMIC_BATCH:
            msg = f"at most {MAX_ATOMIC_BATCH} events can be stored atomically, got {len(msgs)}"
            raise DataError(msg)
        subjects = [m.subject for m in msgs]
        if len(set(subjects)) != len(subjects):
            msg = "the same (originator_id, originator_version) appears twice in one write"
            raise IntegrityError(msg)
        token, inbox, queue = self._open()
        try:
            if len(msgs) == 1:
                await self._send(msgs[0], {}, inbox)
                return self._ack_seq(await self._next(queue, "publish"))
            batch_id = uuid.uuid4().hex
            last = len(msgs)
            for n, m in enumerate(msgs, start=1):
                extra = {"Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(n)}
                if n == last:
                    extra["Nats-Batch-Commit"] = "1"
                # Only the first and the commit message ask for a reply: one round trip.
                await self._send(m, extra, inbox if n in (1, last) else "")
            first = await self._next(queue, "batch publish")
            commit = await self._next(queue, "batch publish")
            if first.data:  # an empty reply means "batch started"
                self._ack_seq(first)
            return self._ack_seq(commit)
        finally:
            del self._queues[token]

    async def _send(self, m: Outgoing, extra: Mapping[str, str], reply: str) -> None:
        headers = {**m.headers, **extra}
        if m.expect_last_subject_seq is not None:
            headers[_EXPECT_LAST_SUBJECT_SEQ] = str(m.expect_last_subject_seq)
        await self.nc.publish(m.subject, m.payload, reply=reply, headers=headers)

    @staticmethod
    def _ack_seq(reply: Msg) -> int:
        if reply.headers and reply.headers.get("Status") == "503":
            msg = f"no JetStream stream is listening on {reply.subject}"
            raise ProgrammingError(msg)
        resp = json.loads(reply.data)
        if "error" in resp:
            raise _api_error(resp, "publish")
        seq: int = resp["seq"]
        return seq

    # --- reading -----------------------------------------------------------------------

    async def direct_get(
        self, stream: str, request: Mapping[str, Any]
    ) -> tuple[list[StoredMsg], int]:
        """A batched direct get: the messages, and how many more match after them."""
        token, inbox, queue = self._open()
        out: list[StoredMsg] = []
        try:
            await self.nc.publish(
                f"$JS.API.DIRECT.GET.{stream}", json.dumps(request).encode(), reply=inbox
            )
            while True:
                msg = await self._next(queue, f"direct get on {stream}")
                headers = msg.headers or {}
                status = headers.get("Status")
                if status is None:
                    out.append(_stored(msg))
                elif status == "204":  # end of batch
                    return out, int(headers.get("Nats-Num-Pending", "0"))
                elif status == "404":
                    return out, 0
                else:
                    msg_text = f"direct get on {stream} failed: {status} {headers}"
                    raise OperationalError(msg_text)
        finally:
            del self._queues[token]

    async def last_for(self, stream: str, subject: str) -> StoredMsg | None:
        """The last message on `subject` (wildcards allowed), or None."""
        token, inbox, queue = self._open()
        try:
            await self.nc.publish(f"$JS.API.DIRECT.GET.{stream}.{subject}", b"", reply=inbox)
            msg = await self._next(queue, f"direct get on {stream}")
        finally:
            del self._queues[token]
        status = (msg.headers or {}).get("Status")
        if status == "404":
            return None
        if status is not None:
            text = f"direct get on {stream} failed: {status} {msg.headers}"
            raise OperationalError(text)
        return _stored(msg)

    async def subject_counts(self, stream: str, subject_filter: str) -> dict[str, int]:
        resp = await self.request_json(
            f"$JS.API.STREAM.INFO.{stream}", {"subjects_filter": subject_filter}
        )
        subjects: dict[str, int] | None = resp.get("state", {}).get("subjects")
        return subjects or {}

    # --- streams -----------------------------------------------------------------------

    async def ensure_stream(self, name: str, subjects: Sequence[str]) -> None:
        """Create the stream, or make an existing one fit (resume after restart)."""
        wanted: dict[str, Any] = {
            "name": name,
            "subjects": list(subjects),
            "storage": "file",
            "retention": "limits",
            "num_replicas": 1,
            "allow_direct": True,
            "allow_atomic": True,
            # An event store is append-only.
            "deny_delete": True,
            "deny_purge": True,
        }
        try:
            info = await self.request_json(f"$JS.API.STREAM.INFO.{name}")
        except ProgrammingError:  # not found
            await self.request_json(f"$JS.API.STREAM.CREATE.{name}", wanted)
            return
        config: dict[str, Any] = info["config"]
        missing = [s for s in subjects if s not in config.get("subjects", [])]
        if missing or not config.get("allow_direct") or not config.get("allow_atomic"):
            config["subjects"] = [*config.get("subjects", []), *missing]
            config["allow_direct"] = True
            config["allow_atomic"] = True
            await self.request_json(f"$JS.API.STREAM.UPDATE.{name}", config)

    async def delete_stream(self, name: str) -> None:
        await self.request_json(f"$JS.API.STREAM.DELETE.{name}")


def _stored(msg: Msg) -> StoredMsg:
    headers = msg.headers or {}
    return StoredMsg(
        subject=headers["Nats-Subject"],
        seq=int(headers["Nats-Sequence"]),
        data=msg.data,
        headers=headers,
    )
