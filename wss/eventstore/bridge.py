"""Run asyncio NATS calls from eventsourcing's synchronous recorders.

Why: eventsourcing calls recorders from plain threads, nats-py is asyncio-only. One private
event loop lives in a daemon thread owned by the factory; callers block on
`asyncio.run_coroutine_threadsafe(...).result()`. Many threads may call concurrently: their
requests are multiplexed on the single NATS connection.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from eventsourcing.persistence import InterfaceError, OperationalError

__all__ = ["LoopThread"]

T = TypeVar("T")


class LoopThread:
    """An event loop running forever in a daemon thread until `close()`."""

    def __init__(self, name: str = "wss-eventstore-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        loop = self.loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            # Cancel what nats-py left behind so nothing warns about pending tasks.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the loop and wait for its result from the calling thread."""
        if threading.current_thread() is self._thread:
            coro.close()
            msg = "LoopThread.run() called from its own loop thread (would deadlock)"
            raise InterfaceError(msg)
        if self._closed:
            coro.close()
            msg = "event store connection is closed"
            raise InterfaceError(msg)
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            msg = f"NATS operation timed out after {timeout}s"
            raise OperationalError(msg) from None

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is not self._thread:
            self._thread.join()
