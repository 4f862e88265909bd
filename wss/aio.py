"""Asyncio helpers the shell needs."""

import asyncio
from collections.abc import Awaitable
from typing import Any

# Long enough for a cancelled task's own clean-up (a transaction's rollback, a pool's
# dispose) to finish under load: cancelling that clean-up too abandons the connection,
# which SQLAlchemy then resets from the garbage collector, outside the loop.
RECANCEL_SECONDS = 2.0


async def cancel_and_wait(task: "asyncio.Task[Any]") -> None:
    """Cancel ``task`` and wait until it has really stopped.

    On Python 3.11, ``asyncio.wait_for`` can swallow a cancellation that arrives just as
    its inner future completes (fixed in 3.12); a consumer loop built on it (nats-py's
    ``fetch``) then keeps running. So cancel again until the task is done.
    The re-cancel waits ``RECANCEL_SECONDS``, so a task's ``finally`` gets that long.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=RECANCEL_SECONDS)
    if not task.cancelled():
        task.exception()  # retrieved: a task that died on its own is reported elsewhere


async def finish_despite_cancel(closing: "Awaitable[Any]") -> None:
    """Await a clean-up to its end even if the task awaiting it is cancelled meanwhile
    (then re-raise the cancellation): a half-done close leaks what it was closing."""
    future = asyncio.ensure_future(closing)
    cancelled = False
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            cancelled = True
    future.result()
    if cancelled:
        raise asyncio.CancelledError
