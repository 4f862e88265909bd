"""Process settings from the environment. Absent = the embedded default."""

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path = field(default_factory=lambda: Path(_env("WSS_HOME") or "var"))
    nats_url: str | None = field(default_factory=lambda: _env("NATS_URL"))
    database_url: str | None = field(default_factory=lambda: _env("DATABASE_URL"))
    clickhouse_url: str | None = field(default_factory=lambda: _env("CLICKHOUSE_URL"))
    lease_seconds: float = field(default_factory=lambda: float(_env("WSS_LEASE_SECONDS") or 5))
    snapshot_every: int = field(default_factory=lambda: int(_env("WSS_SNAPSHOT_EVERY") or 500))
    # Serve /metrics, /health and /ready on this port too (any process); unset: off.
    metrics_port: int | None = field(
        default_factory=lambda: int(port) if (port := _env("WSS_METRICS_PORT")) else None
    )

    @property
    def nats_dir(self) -> Path:
        return self.home / "nats"
