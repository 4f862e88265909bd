"""What the I/O benchmarks share: a throwaway embedded nats-server and a season on it."""

import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from wss.bootstrap import Nats, nats
from wss.settings import Settings


@contextlib.asynccontextmanager
async def scratch_nats() -> AsyncIterator[tuple[Nats, Settings]]:
    """A fresh nats-server on a temp dir: benchmarks never touch a real WSS_HOME."""
    with tempfile.TemporaryDirectory(prefix="wss-bench-") as home:
        settings = Settings(home=Path(home), nats_url=None, snapshot_every=0)
        async with nats(settings, name="wss-bench") as conn:
            yield conn, settings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def stream_disk_bytes(nats_dir: Path, stream: str) -> int:
    """Bytes of a stream's files in the embedded server's store (account ``$G``)."""
    root = nats_dir / "jetstream" / "$G" / "streams" / stream
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
