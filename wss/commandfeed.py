"""The engine's intake: an ordered JetStream consumer on the command stream.

Commands arrive in stream order with no gaps (the ordered consumer resets itself on a
gap), are buffered as raw bytes, and each tick takes everything received so far: the
cut is the last sequence taken. A re-run tick (after a crash) takes exactly up to the
cut recorded on its first event instead.
"""

import asyncio

from nats.aio.msg import Msg
from nats.js import api
from nats.js.client import JetStreamContext

from schemas.commands import Command, Malformed
from wss.eventstore.jetstream import StoredMsg
from wss.seasonlog import decode_command
from wss.streams import SeasonStreams

WAIT_FOR_CUT_SECONDS = 30.0


class CommandFeed:
    def __init__(self, js: JetStreamContext, streams: SeasonStreams) -> None:
        self.js, self.streams = js, streams
        self._buffer: list[tuple[int, str, bytes]] = []  # (seq, subject, payload)
        self._arrived = asyncio.Event()
        self._sub: object | None = None

    async def start(self, after_seq: int) -> None:
        async def on_msg(msg: Msg) -> None:
            self._buffer.append((msg.metadata.sequence.stream, msg.subject, msg.data))
            self._arrived.set()

        self._sub = await self.js.subscribe(
            self.streams.command_subjects,
            stream=self.streams.command_stream,
            ordered_consumer=True,
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
            config=api.ConsumerConfig(opt_start_seq=after_seq + 1),
            cb=on_msg,
        )

    async def stop(self) -> None:
        sub = self._sub
        if sub is not None:
            await sub.unsubscribe()  # type: ignore[attr-defined]
            self._sub = None

    async def _reach(self, seq: int) -> None:
        async with asyncio.timeout(WAIT_FOR_CUT_SECONDS):
            while not self._buffer or self._buffer[-1][0] < seq:
                self._arrived.clear()
                await self._arrived.wait()

    async def take(
        self, cut: int | None = None, at_least: int | None = None
    ) -> tuple[int | None, list[tuple[int, Command | Malformed]]]:
        """Commands received so far, or exactly up to ``cut``: (last seq taken, commands).

        ``at_least`` waits until that sequence has arrived (tests and benchmarks that
        know what they published).
        """
        if cut is not None:
            await self._reach(cut)
            taken = [m for m in self._buffer if m[0] <= cut]
            self._buffer = self._buffer[len(taken) :]
        else:
            if at_least is not None:
                await self._reach(at_least)
            taken, self._buffer = self._buffer, []
        last = taken[-1][0] if taken else None
        decoded = [
            (seq, decode_command(StoredMsg(subject, seq, data, {}))) for seq, subject, data in taken
        ]
        return last, decoded
