"""``WSS_TRACEMALLOC=DIR``: where a long-running ``wss run``'s memory goes.

With the variable set, ``wss run`` traces Python allocations from its start (unless
``WSS_TRACEMALLOC_FRAMES=0``: tracing slows the process several times) and, on each
``DUMP_SIGNAL`` (real-time: chDB takes ``SIGUSR1``), writes ``DIR/<n>.tracemalloc`` (to
diff with ``Snapshot.load(...).compare_to(...)``) and ``DIR/<n>.json``: RSS, the traced
total, live objects per type, thread names, NATS subscriptions' pending messages and
chDB's memory tracker. The traced total against RSS tells Python-heap growth from
native growth (chDB, allocator fragmentation). ``wss bench soak`` signals the server at
its half and at its end when the variable is set.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import signal
import sys
import threading
import tracemalloc
from collections import Counter
from pathlib import Path
from types import FrameType

__all__ = ["DUMP_SIGNAL", "ENV", "install"]

ENV = "WSS_TRACEMALLOC"
FRAMES_ENV = "WSS_TRACEMALLOC_FRAMES"
DUMP_SIGNAL = signal.SIGRTMIN + 4  # glibc keeps the first real-time signals for itself


def install() -> None:
    """Start tracing if ``WSS_TRACEMALLOC`` names a directory; dump on each ``DUMP_SIGNAL``."""
    directory = os.environ.get(ENV)
    if not directory:
        return
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    if frames := int(os.environ.get(FRAMES_ENV, "12")):
        tracemalloc.start(frames)
    numbers = itertools.count()

    def dump(_signum: int, _frame: FrameType | None) -> None:
        n = next(numbers)
        if tracemalloc.is_tracing():
            tracemalloc.take_snapshot().dump(str(out / f"{n}.tracemalloc"))
        objects = gc.get_objects()
        types = Counter(type(o).__qualname__ for o in objects)
        status = dict(
            line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
        )
        report = {
            "rss_kib": int(status["VmRSS"].split()[0]),
            "traced_bytes": tracemalloc.get_traced_memory()[0],
            "threads": sorted(t.name for t in threading.enumerate()),
            "types": dict(types.most_common(60)),
            "nats_pending": _pending(objects),
            "chdb": _chdb_memory(),
        }
        (out / f"{n}.json").write_text(json.dumps(report, indent=1))

    signal.signal(DUMP_SIGNAL, dump)


def _pending(objects: list[object]) -> dict[str, int]:
    """Messages waiting in each NATS subscription's queue (a reader that fell behind)."""
    from nats.aio.subscription import Subscription  # noqa: PLC0415

    subs = [o for o in objects if isinstance(o, Subscription)]
    return {f"{s.subject} {_callback(s)}": s.pending_msgs for s in subs if s.pending_msgs}


def _callback(sub: object) -> str:
    """Whose queue it is: the callback's module and name (nats-py keeps it as ``_cb``)."""
    cb = getattr(sub, "_cb", None)
    return f"{getattr(cb, '__module__', '?')}.{getattr(cb, '__qualname__', repr(cb))}"


def _chdb_memory() -> dict[str, float | str]:
    """What the embedded ClickHouse says it holds (memory tracker, caches), if it is open."""
    if "chdb" not in sys.modules or os.environ.get("CLICKHOUSE_URL"):
        return {}
    from projections.analytics.client import connect  # noqa: PLC0415 - only when chDB runs

    try:  # a diagnostic must not take the server down
        client = connect()
    except Exception as error:  # noqa: BLE001
        return {"error": repr(error)}
    try:
        rows = client.query(
            "SELECT metric, value FROM system.metrics "
            "WHERE metric LIKE '%MemoryTracking%' OR metric LIKE '%Cache%'"
        ).result_rows
    except Exception as error:  # noqa: BLE001
        return {"error": repr(error)}
    finally:
        client.close()
    return {str(name): float(value) for name, value in rows if value}
