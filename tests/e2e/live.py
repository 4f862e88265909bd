"""What an e2e test watches a live season through: an agent's webhook inbox and an SSE
subscription collected in the background."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.client import SseEvent, WssClient
from gateway.models import TickWebhook


class Inbox:
    """A webhook receiver (``endpoint``, for ``hook_app_for``) keeping every TickWebhook."""

    def __init__(self) -> None:
        self.hooks: list[TickWebhook] = []

    async def endpoint(self, request: Request) -> Response:
        self.hooks.append(TickWebhook.model_validate_json(await request.body()))
        return JSONResponse({})

    def alerts(self, kind: str) -> list[dict[str, Any]]:
        return [a for h in self.hooks for a in h.alerts if a.get("alert") == kind]

    def messages(self) -> list[dict[str, object]]:
        return [m for h in self.hooks for m in h.messages]


@contextlib.asynccontextmanager
async def listening(wss: WssClient, channels: list[str]) -> AsyncIterator[list[SseEvent]]:
    """Every event of ``channels`` from the stream's start, appended live while the block runs."""
    seen: list[SseEvent] = []

    async def listen() -> None:
        async for event in wss.stream(channels, last_event_id=0):
            seen.append(event)  # noqa: PERF401 - appended live, read by the test meanwhile

    task = asyncio.create_task(listen())
    try:
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
