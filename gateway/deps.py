"""What the gateway needs, in one object: the log, the read models, the hub, settings.

``GatewayDeps`` is built once per process (see ``gateway.runtime``) and handed to
``create_app``; tests build it with other settings.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.agentdocs import docs_dir
from gateway.outage import LogOutage
from projections.health import ReadHealth
from wss.metrics import Metrics
from wss.seasonlog import SeasonLog

if TYPE_CHECKING:
    from gateway.liveworld import LiveWorld
    from projections.analytics.client import AnalyticsClient
    from projections.sse_hub import SseHub

__all__ = ["DOCS_DIR", "GatewayDeps", "GatewaySettings", "load_server_secret"]

DOCS_DIR = docs_dir()


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def load_server_secret(home: Path | None = None) -> bytes:
    """``WSS_WEBHOOK_SECRET``, else a random secret kept in ``<WSS_HOME>/webhook_secret``.

    Kept on disk so per-agent webhook secrets (derived from it) survive a restart.
    """
    env = os.environ.get("WSS_WEBHOOK_SECRET", "").strip()
    if env:
        return env.encode()
    home = home or Path(os.environ.get("WSS_HOME") or "var")
    path = home / "webhook_secret"
    if path.exists():
        return path.read_bytes().strip()
    home.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32).encode()
    path.write_bytes(secret)
    path.chmod(0o600)
    return secret


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """Limits and switches. The rate limits are the seed design's numbers."""

    actions_per_tick: int = 10
    orders_per_minute: int = 100
    messages_per_minute: int = 20
    max_batch: int = 10
    max_body_bytes: int = 64 * 1024
    allow_private_callbacks: bool = field(
        default_factory=lambda: _flag("WSS_ALLOW_PRIVATE_CALLBACKS")
    )
    webhook_secret: bytes = field(default_factory=lambda: secrets.token_hex(32).encode())
    register_wait_seconds: float = 3.0
    registrations_per_minute: int = 10  # new agents per client address (each is funded)
    # Reads of an agent whose registration is on the log but not yet cut wait this long
    # for the tick that admits it.
    read_wait_seconds: float = 3.0
    webhooks_enabled: bool = True
    webhook_timeout_seconds: float = 2.0
    webhook_concurrency: int = 256
    webhook_projection_wait_seconds: float = 0.5
    docs_dir: Path = DOCS_DIR
    # The base URL agents reach the gateway at, written into the served documents and
    # /openapi.json's servers; unset: the scheme and Host of each request.
    public_url: str | None = field(
        default_factory=lambda: os.environ.get("WSS_PUBLIC_URL", "").strip() or None
    )
    tick_cache_seconds: float = 0.05


@dataclass(slots=True)
class GatewayDeps:
    """The gateway's ports. ``db`` is the relational read model's engine; ``live`` the
    world this process folds from the event stream (``gateway.liveworld``)."""

    log: SeasonLog
    db: AsyncEngine
    settings: GatewaySettings = field(default_factory=GatewaySettings)
    hub: SseHub | None = None
    outage: LogOutage = field(default_factory=LogOutage)
    analytics: AnalyticsClient | None = None
    live: LiveWorld | None = None  # the world folded in this process: agents' fresh reads
    # The read-side tasks feeding this gateway report failures here (``/ready``).
    health: ReadHealth = field(default_factory=ReadHealth)
    # This process's metrics (``/metrics``): its own registry, shared with the engine
    # and read side when they run in the same process (``wss run``).
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def season(self) -> str:
        return self.log.season
