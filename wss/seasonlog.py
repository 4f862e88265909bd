"""A season's log on JetStream: create, append commands, read ranges, publish ticks.

Commands and events are read back with batched direct gets (pages of 1,000), which is
exact about sequence ranges and needs no consumer state on the server. Events are
appended with ``publish_async`` (pipelined), each carrying a deterministic
``Nats-Msg-Id`` and ``Nats-Expected-Last-Sequence``, so an engine that lost the race to
another writer gets "wrong last sequence" instead of interleaving its events.
"""

import asyncio
import json
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import api
from nats.js.client import JetStreamContext
from nats.js.errors import (
    APIError,
    KeyNotFoundError,
    NoKeysError,
    NotFoundError,
    ServiceUnavailableError,
)
from nats.js.kv import KeyValue
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from schemas.commands import Command, Malformed, parse_command
from wss import kv
from wss.errors import AppendUnacknowledged, Fenced, SeasonNotFound, SeasonSealed, WssError
from wss.eventstore.jetstream import StoredMsg
from wss.natsclient import Client as FastClient
from wss.natsclient import Outgoing
from wss.streams import (
    EXPECTED_LAST_SEQUENCE,
    MSG_ID,
    SEASONS_BUCKET,
    TICK_HEADER,
    SeasonStreams,
)

CUT_HEADER = "Wss-Cut"  # the last command sequence the tick consumed: fixed before publishing
PAGE = 1_000
READ_TIMEOUT_SECONDS = 10.0
REGISTRY_RETRY_SECONDS = 10.0
COMMAND_DEDUPE_SECONDS = 24 * 3600  # an agent's retry within a day acts once
EVENT_DEDUPE_SECONDS = 3600  # restarts do not rely on it: they skip what is stored
BATCH = 1_000  # the server's limit on messages in one atomic batch
PUBLISH_TIMEOUT_SECONDS = 10.0
BATCH_ID, BATCH_SEQUENCE, BATCH_COMMIT = "Nats-Batch-Id", "Nats-Batch-Sequence", "Nats-Batch-Commit"
# S2 on the stored blocks: the JSON log shrinks to about a third for little CPU (see
# docs/PERFORMANCE.md, `wss bench disk`); the block being written stays uncompressed.
LOG_COMPRESSION = api.StoreCompression.S2
_CONFLICT_CODES = frozenset({10071, 10164})  # wrong last sequence (plain, in a batch)
EXPECTED_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id"
PROBE_MSG_ID = "wss:dedupe-probe"  # reserved: no message carries it, so a probe never stores
_WRONG_LAST_MSG_ID = 10070


@dataclass(frozen=True, slots=True)
class SeasonInfo:
    season: str
    seed: int
    status: str  # created | running | stopped | ended (wss.seasonstatus adds crashed)
    created: str
    tick: int = 0
    state_hash: str = ""

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "season": self.season,
                "seed": self.seed,
                "status": self.status,
                "created": self.created,
                "tick": self.tick,
                "state_hash": self.state_hash,
            }
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "SeasonInfo":
        return cls(**json.loads(raw))


def decode_command(msg: StoredMsg) -> Command | Malformed:
    """A command, or a Malformed stand-in that still names who sent what."""
    try:
        return parse_command(msg.data)
    except ValidationError as error:
        try:
            raw: Any = json.loads(msg.data)
        except ValueError:
            raw = {}
        raw = raw if isinstance(raw, dict) else {}
        command_id = raw.get("command_id")
        agent_id = raw.get("agent_id")
        return Malformed(
            command_id=command_id if isinstance(command_id, str) else f"seq-{msg.seq}",
            agent_id=agent_id if isinstance(agent_id, str) else "unknown",
            error=_summary(error),
        )


def _summary(error: ValidationError) -> str:
    parts = [f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors()]
    return "; ".join(parts)[:500]


class SeasonLog:
    """One season's two streams, and the season registry."""

    def __init__(self, nc: Client, season: str) -> None:
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream()
        self.streams = SeasonStreams(season)

    @property
    def season(self) -> str:
        return self.streams.season

    # --- lifecycle -----------------------------------------------------------------

    async def create(
        self, info: SeasonInfo, compression: api.StoreCompression = LOG_COMPRESSION
    ) -> None:
        s = self.streams
        for name, subjects, window in (
            (s.command_stream, s.command_subjects, COMMAND_DEDUPE_SECONDS),
            (s.event_stream, s.event_subjects, EVENT_DEDUPE_SECONDS),
        ):
            await self.js.add_stream(
                api.StreamConfig(
                    name=name,
                    subjects=[subjects],
                    storage=api.StorageType.FILE,
                    retention=api.RetentionPolicy.LIMITS,
                    duplicate_window=window,
                    allow_direct=True,
                    allow_atomic=True,
                    deny_delete=True,
                    deny_purge=True,
                    compression=compression,
                )
            )
        await self.save_info(info)

    async def exists(self) -> bool:
        try:
            await self.js.stream_info(self.streams.event_stream)
        except NotFoundError:
            return False
        return True

    async def require(self) -> SeasonInfo:
        if not await self.exists():
            raise SeasonNotFound(self.season)
        return await self.info()

    async def seal(self) -> None:
        """A finished season's history cannot be rewritten or extended."""
        for name in (self.streams.command_stream, self.streams.event_stream):
            info = await self.js.stream_info(name)
            config = info.config
            if not config.sealed:
                config.sealed = True
                await self.js.update_stream(config)

    async def _registry(self) -> KeyValue:
        return await kv.bucket(self.js, SEASONS_BUCKET)

    async def save_info(self, info: SeasonInfo) -> None:
        await (await self._registry()).put(self.season, info.to_json())

    async def info(self) -> SeasonInfo:
        try:
            entry = await (await self._registry()).get(self.season)
        except KeyNotFoundError:
            raise SeasonNotFound(self.season) from None
        return SeasonInfo.from_json(entry.value or b"{}")

    # --- reading -------------------------------------------------------------------

    async def last_seq(self, stream: str) -> int:
        info = await self.js.stream_info(stream)
        return int(info.state.last_seq)

    async def read(
        self, stream: str, start: int, end: int
    ) -> AsyncGenerator[list[StoredMsg], None]:
        """Messages with ``start <= seq <= end``, in pages of batched direct gets.

        One reply subscription for the whole read and a callback that only appends: per
        message there is no future, no task and no timeout to set up.
        """
        page: list[StoredMsg] = []
        page_done = asyncio.Event()

        async def on_reply(msg: Msg) -> None:
            headers = msg.headers or {}
            if "Status" in headers:  # 204 end of batch, or 404 nothing (more) there
                page_done.set()
                return
            seq = int(headers["Nats-Sequence"])
            page.append(StoredMsg(headers["Nats-Subject"], seq, msg.data, headers))

        inbox = self.nc.new_inbox()
        sub = await self.nc.subscribe(inbox, cb=on_reply)
        try:
            seq = max(1, start)
            while seq <= end:
                page_done.clear()
                request = {"seq": seq, "batch": min(PAGE, end - seq + 1)}
                await self.nc.publish(
                    f"$JS.API.DIRECT.GET.{stream}", json.dumps(request).encode(), reply=inbox
                )
                async with asyncio.timeout(READ_TIMEOUT_SECONDS):
                    await page_done.wait()
                got = [m for m in page if m.seq <= end]
                page.clear()
                if not got:
                    return
                yield got
                seq = got[-1].seq + 1
        finally:
            await sub.unsubscribe()

    async def commands(self, start: int, end: int) -> list[tuple[int, Command | Malformed]]:
        out: list[tuple[int, Command | Malformed]] = []
        async for page in self.read(self.streams.command_stream, start, end):
            out.extend((m.seq, decode_command(m)) for m in page)
        return out

    # --- writing -------------------------------------------------------------------

    async def submit(self, command: Command, msg_id: str | None = None) -> tuple[int, bool]:
        """Append a command; returns (stream seq, duplicate). Used by the gateway and tools."""
        s = self.streams
        ack = await self.js.publish(
            s.command_subject(command.type),
            command.model_dump_json().encode(),
            headers={MSG_ID: msg_id or s.command_msg_id(command.agent_id, command.command_id)},
        )
        return ack.seq, bool(ack.duplicate)

    async def stored_seq(self, command: Command, msg_id: str) -> int | None:
        """The sequence of the command stored under ``msg_id`` inside the dedupe window, or
        None; stores nothing.

        JetStream looks a message id up in its dedupe window before it checks
        ``Nats-Expected-Last-Msg-Id``: a duplicate is answered with the original's sequence,
        anything else fails the expectation (the reserved id is never anyone's last) and is
        dropped. The log, not a cache, says whether a command was already sent.
        """
        try:
            ack = await self.js.publish(
                self.streams.command_subject(command.type),
                command.model_dump_json().encode(),
                headers={MSG_ID: msg_id, EXPECTED_LAST_MSG_ID: PROBE_MSG_ID},
            )
        except APIError as error:
            if error.err_code == _WRONG_LAST_MSG_ID:
                return None
            raise
        if not ack.duplicate:
            raise WssError(f"the reserved message id {PROBE_MSG_ID!r} was used on the log")
        return int(ack.seq)

    async def command_at(self, seq: int) -> StoredMsg:
        """The stored command message at ``seq`` (its bytes, headers and time stamp)."""
        raw = await self.js.get_msg(self.streams.command_stream, seq=seq, direct=True)
        headers = raw.headers or {}
        return StoredMsg(raw.subject or "", int(raw.seq or seq), raw.data or b"", headers)

    async def last_cut(self) -> int:
        """The last command sequence a closed tick consumed (0 before the first tick)."""
        try:
            raw = await self.js.get_last_msg(
                self.streams.event_stream, self.streams.event_subject("TickClosed"), direct=True
            )
        except NotFoundError:
            return 0
        return int(json.loads(raw.data or b"{}").get("last_command_seq", 0))

    async def submit_raw(self, subject_type: str, payload: bytes, msg_id: str) -> int:
        """Append bytes as they are: how a corrupt command reaches the log in tests."""
        ack = await self.js.publish(
            self.streams.command_subject(subject_type), payload, headers={MSG_ID: msg_id}
        )
        return ack.seq

    async def publish_tick(
        self, tick: int, cut: int, events: Sequence[tuple[str, bytes]], after_seq: int, first: int
    ) -> int:
        """Append a tick's events ``first..`` (earlier ones are already stored).

        The events go out as JetStream atomic batches of at most ``BATCH`` messages: each
        batch is stored whole, on consecutive sequences, or not at all, and its first
        message carries ``Nats-Expected-Last-Sequence``, so nothing can land between our
        batches either. Messages are sent back to back; only a batch's first message and
        its commit ask for a reply. Returns the sequence of the last event; raises
        ``Fenced`` if anyone else appended meanwhile.
        """
        last = after_seq
        for start in range(first, len(events), BATCH):
            chunk = range(start, min(start + BATCH, len(events)))
            last = await self._publish_batch(tick, cut, events, chunk, after_seq=last, first=first)
        return last

    async def _publish_batch(
        self,
        tick: int,
        cut: int,
        events: Sequence[tuple[str, bytes]],
        chunk: range,
        *,
        after_seq: int,
        first: int,
    ) -> int:
        s = self.streams
        replies: asyncio.Queue[Msg] = asyncio.Queue()
        inbox = self.nc.new_inbox()
        sub = await self.nc.subscribe(inbox, cb=replies.put)
        batch_id = s.event_msg_id(tick, chunk.start)
        outgoing: list[Outgoing] = []
        for n, index in enumerate(chunk, start=1):
            event_type, payload = events[index]
            headers = {
                MSG_ID: s.event_msg_id(tick, index),
                BATCH_ID: batch_id,
                BATCH_SEQUENCE: str(n),
            }
            if n == 1:
                headers[EXPECTED_LAST_SEQUENCE] = str(after_seq)
            if index == first:  # recovery reads the cut from a partial tick's first event
                headers[TICK_HEADER], headers[CUT_HEADER] = str(tick), str(cut)
            commit = n == len(chunk)
            if commit:
                headers[BATCH_COMMIT] = "1"
            reply = inbox if n == 1 or commit else ""
            outgoing.append((s.event_subject(event_type), reply, headers, payload))
        try:
            await self._publish_all(outgoing)
            async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
                answer = await replies.get()
                if not answer.data and len(chunk) > 1:  # "batch started"; the commit follows
                    answer = await replies.get()
        except TimeoutError:
            # Also what a process paused (SIGSTOP) past the timeout sees when it resumes.
            raise AppendUnacknowledged(
                f"season {self.season}: tick {tick}'s append not acknowledged within "
                f"{PUBLISH_TIMEOUT_SECONDS:g}s; stopping"
            ) from None
        finally:
            await sub.unsubscribe()
        return self._batch_ack(answer, expected=after_seq + len(chunk))

    async def _publish_all(self, outgoing: Sequence[Outgoing]) -> None:
        if isinstance(self.nc, FastClient):
            await self.nc.publish_batch(outgoing)
            return
        for subject, reply, headers, payload in outgoing:  # any other nats-py client
            await self.nc.publish(subject, payload, reply=reply, headers=dict(headers))

    def _batch_ack(self, answer: Msg, expected: int) -> int:
        reply = json.loads(answer.data) if answer.data else {}
        error = reply.get("error")
        if error:
            description = str(error.get("description", ""))
            # Event ids are (season, tick, index): a duplicate in a batch means another
            # engine already stored this tick, the same fencing as a wrong last sequence.
            if error.get("err_code") in _CONFLICT_CODES or "duplicate message id" in description:
                raise Fenced(
                    f"season {self.season}: the log moved under this engine (another writer?); "
                    "stopping"
                )
            if "sealed" in description:
                raise SeasonSealed(self.season)
            raise WssError(f"season {self.season}: append refused: {description}")
        seq = int(reply.get("seq", 0))
        if seq != expected:
            raise Fenced(f"season {self.season}: events landed at {seq}, expected {expected}")
        return seq


async def list_seasons(nc: Client) -> list[SeasonInfo]:
    """Every season the registry holds; none on a fresh home.

    Only "no bucket" and "no keys" mean no seasons: another API error (JetStream still
    starting beside a server that has just been stopped) is retried, then raised, never
    read as an empty registry.
    """
    js = nc.jetstream()
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(ServiceUnavailableError),
        wait=wait_exponential(multiplier=0.05, max=1.0),
        stop=stop_after_delay(REGISTRY_RETRY_SECONDS),
        reraise=True,
    ):
        with attempt:
            try:
                kv = await js.key_value(SEASONS_BUCKET)
                keys = await kv.keys()
            except (NotFoundError, NoKeysError):
                return []
    seasons = []
    for key in sorted(keys):
        entry = await kv.get(key)
        if entry.value:
            seasons.append(SeasonInfo.from_json(entry.value))
    return sorted(seasons, key=lambda s: s.created)
