"""Serve the gateway with uvicorn inside an asyncio program (``wss run``, tests, bench)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn

from gateway.app import create_app
from gateway.deps import GatewayDeps

__all__ = ["GatewayServer", "serve_gateway"]


class GatewayServer(uvicorn.Server):
    """A uvicorn server running as a task; ``await server.stop()`` shuts it down."""

    task: asyncio.Task[None] | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The host program (``wss run``) owns SIGINT/SIGTERM and stops us with ``stop()``.
        yield

    @property
    def url(self) -> str:
        config = self.config
        return f"http://{config.host}:{config.port}"

    async def stop(self, wait_seconds: float = 10.0) -> None:
        """Graceful: open requests get ``timeout_graceful_shutdown``; the lifespan (webhook
        dispatcher) is shut down; past ``wait_seconds`` the task is cancelled."""
        self.should_exit = True
        if self.task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self.task), wait_seconds)
        except TimeoutError:
            self.force_exit = True
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


class GatewayBindError(OSError):
    """The gateway's address is taken (or not ours to bind)."""


def _bind(host: str, port: int) -> socket.socket:
    """Bind here, not in uvicorn: uvicorn answers a busy port with ``sys.exit()``, which
    escapes asyncio's event loop instead of reaching the caller as an error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise GatewayBindError(
            error.errno, f"cannot bind {host}:{port}: {error.strerror}"
        ) from None
    return sock


async def serve_gateway(
    deps: GatewayDeps,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    startup_seconds: float = 10.0,
    log_level: str = "warning",
    backlog: int = 4096,
) -> GatewayServer:
    """Start serving; returns once the socket accepts connections."""
    config = uvicorn.Config(
        create_app(deps),
        host=host,
        port=port,
        log_level=log_level,
        lifespan="on",
        backlog=backlog,
        access_log=False,
        log_config=None,  # uvicorn's loggers propagate to ours: JSON lines (wss.logs)
        timeout_graceful_shutdown=2,
    )
    server = GatewayServer(config)
    sock = _bind(host, port)
    server.task = asyncio.create_task(server.serve(sockets=[sock]), name="wss-gateway")
    async with asyncio.timeout(startup_seconds):
        while not server.started:
            if server.task.done():
                server.task.result()  # surfaces the startup error
                raise RuntimeError("the gateway stopped during startup")
            await asyncio.sleep(0.01)
    return server
