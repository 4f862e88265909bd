"""The one place that wires a process: the NATS connection (embedded or not), stores.

Without ``NATS_URL`` every ``wss`` process on a ``WSS_HOME`` shares one embedded
``nats-server`` (data under ``$WSS_HOME/nats``), started by the first and stopped by the
last; see ``wss.homeserver``.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from nats.aio.client import Client

from wss import homeserver
from wss.natsserver import EmbeddedNats, connect
from wss.settings import Settings


@dataclass(slots=True)
class Nats:
    nc: Client
    url: str
    server: EmbeddedNats | None  # set when this process started the embedded server


@contextlib.asynccontextmanager
async def nats(settings: Settings, name: str = "wss") -> AsyncIterator[Nats]:
    if settings.nats_url:
        nc = await connect(settings.nats_url, name=name)
        try:
            yield Nats(nc=nc, url=settings.nats_url, server=None)
        finally:
            with contextlib.suppress(Exception):
                await nc.drain()
        return
    joined = await asyncio.to_thread(homeserver.join, settings.nats_dir)
    try:
        nc = await connect(joined.url, name=name)
        try:
            yield Nats(nc=nc, url=joined.url, server=joined.started)
        finally:
            with contextlib.suppress(Exception):
                await nc.drain()
    finally:
        await asyncio.to_thread(homeserver.leave, joined)
