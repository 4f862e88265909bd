"""The gateway inside ``wss run``: same read model as the projections, a stable secret."""

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from gateway.deps import GatewaySettings
from gateway.runtime import RunningGateway, running_gateway
from wss.readside import relational_url
from wss.seasonlog import SeasonLog
from wss.settings import Settings


def webhook_secret(home: Path) -> bytes:
    """``WSS_WEBHOOK_SECRET``, else one made once per home and kept: agents verify
    signatures with secrets derived from it, so it must survive restarts."""
    if env := os.environ.get("WSS_WEBHOOK_SECRET", "").strip():
        return env.encode()
    path = home / "webhook.secret"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        path.write_text(os.urandom(32).hex())
        path.chmod(0o600)
    return path.read_text().strip().encode()


@contextlib.asynccontextmanager
async def serve_gateway(
    log: SeasonLog, settings: Settings, *, host: str, port: int
) -> AsyncIterator[RunningGateway]:
    gateway_settings = GatewaySettings(webhook_secret=webhook_secret(settings.home))
    async with running_gateway(
        log,
        host=host,
        port=port,
        settings=gateway_settings,
        database=relational_url(settings),
        project=False,  # the read side of `wss run` (or `wss project --run`) fills it
    ) as gateway:
        yield gateway
