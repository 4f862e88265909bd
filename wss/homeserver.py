"""The embedded nats-server of a ``WSS_HOME``: shared by every ``wss`` process on it.

``$WSS_HOME/nats/server.json`` records the running server (URL, pid, server name) and
the pids of the processes using it. A process joins a server that is alive and answers
(its pid lives and its INFO names it), else starts one; a dead record (the server was
killed, or its URL answers with someone else) is replaced at once, never waited on.

Who stops it: the last user to leave. A ``wss run`` killed with ``kill -9`` leaves its
server running (an orphan, in its own session); the next process on the home joins it,
and since the dead run no longer counts, it stops the server when it leaves. A short
``wss seasons`` beside a live ``wss run`` leaves the server to the run.

All of it under an exclusive lock on ``server.lock``: two processes starting together
must not start two servers on one store.
"""

import contextlib
import fcntl
import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from wss.errors import WssError
from wss.natsserver import EmbeddedNats, probe

RECORD, LOCK = "server.json", "server.lock"
PROBE_SECONDS = 1.0
LOCK_SECONDS = 20.0  # longer than a server's stop: a leaver may hold the lock for that
STOP_SECONDS = 10.0


@dataclass(slots=True)
class ServerRecord:
    url: str
    pid: int
    name: str
    users: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Joined:
    """This process's use of the home's server; ``started`` if it spawned it."""

    nats_dir: Path
    url: str
    started: EmbeddedNats | None


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs: trust kill(0)
    return stat.rpartition(")")[2].split()[0] != "Z"


def looks_like_nats_server(pid: int) -> bool:
    """Whether ``pid`` runs a nats-server (pids are reused: a dead server's may be anyone's)."""
    try:
        return b"nats-server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid_alive(pid)  # no procfs: any live pid might be it


def read_record(nats_dir: Path) -> ServerRecord | None:
    try:
        raw = json.loads((nats_dir / RECORD).read_text())
        return ServerRecord(
            url=str(raw["url"]),
            pid=int(raw["pid"]),
            name=str(raw["name"]),
            users=[int(u) for u in raw.get("users", [])],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, half-written by an old version, or garbage: not a server


def _write_record(nats_dir: Path, record: ServerRecord) -> None:
    tmp = nats_dir / f"{RECORD}.{os.getpid()}"
    tmp.write_text(json.dumps(asdict(record)))
    tmp.replace(nats_dir / RECORD)  # atomic: readers see the old record or the new


def answers(record: ServerRecord, timeout: float = PROBE_SECONDS) -> bool:
    """The recorded server is up and it is ours (its INFO carries our server name)."""
    if not pid_alive(record.pid):
        return False
    info = probe(record.url, timeout)
    return info is not None and info.get("server_name") == record.name


@contextlib.contextmanager
def _locked(nats_dir: Path) -> Iterator[None]:
    nats_dir.mkdir(parents=True, exist_ok=True)
    with (nats_dir / LOCK).open("a") as lock:
        deadline = time.monotonic() + LOCK_SECONDS
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise WssError(
                        f"{nats_dir / LOCK} stayed locked for {LOCK_SECONDS:.0f}s "
                        "(another wss process starting or stopping the server)"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def join(nats_dir: Path) -> Joined:
    """Use the home's running server, or start one (blocking: run it in a thread)."""
    me = os.getpid()
    with _locked(nats_dir):
        record = read_record(nats_dir)
        if record is not None and answers(record):
            record.users = [u for u in record.users if u != me and pid_alive(u)] + [me]
            _write_record(nats_dir, record)
            return Joined(nats_dir, record.url, None)
        if record is not None and pid_alive(record.pid) and looks_like_nats_server(record.pid):
            raise WssError(
                f"the embedded nats-server of {nats_dir.parent} (pid {record.pid}) does not "
                f"answer at {record.url}; stop it (kill {record.pid}) and retry"
            )
        name = f"wss-{os.urandom(6).hex()}"
        server = EmbeddedNats(nats_dir, name=name).start()
        assert server.pid is not None
        _write_record(nats_dir, ServerRecord(server.url, server.pid, name, [me]))
        return Joined(nats_dir, server.url, server)


def leave(joined: Joined) -> None:
    """Stop using the server; the last live user stops it (blocking: run it in a thread)."""
    me = os.getpid()
    with _locked(joined.nats_dir):
        record = read_record(joined.nats_dir)
        if record is None or record.url != joined.url:
            # Replaced meanwhile (ours died and another process started a new one).
            if joined.started is not None:
                joined.started.stop()
            return
        record.users = [u for u in record.users if u != me and pid_alive(u)]
        if record.users:
            _write_record(joined.nats_dir, record)
            if joined.started is not None:
                joined.started.detach()  # still in use: another user stops it
            return
        if joined.started is not None:
            joined.started.stop(STOP_SECONDS)
        else:
            _stop_pid(record.pid)
        (joined.nats_dir / RECORD).unlink(missing_ok=True)


def _stop_pid(pid: int) -> None:
    """Stop a server another process started: SIGTERM (JetStream flushes), then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
