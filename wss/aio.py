"""Asyncio helpers the shell needs."""

import asyncio
from typing import Any

RECANCEL_SECONDS = 0.2


async def cancel_and_wait(task: "asyncio.Task[Any]") -> None:
    """Cancel ``task`` and wait until it has really stopped.

    On Python 3.11, ``asyncio.wait_for`` can swallow a cancellation that arrives just as
    its inner future completes (fixed in 3.12); a consumer loop built on it (nats-py's
    ``fetch``) then keeps running. So cancel again until the task is done.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=RECANCEL_SECONDS)
    if not task.cancelled():
        task.exception()  # retrieved: a task that died on its own is reported elsewhere
