"""The gateway's side of the metrics: counting requests, and ``GET /metrics``.

``RequestMetrics`` is a plain ASGI middleware: per request one clock read at each end,
one counter and one histogram update. Requests are labelled by route *template*
(``/api/v1/agents/{agent_id}``), never the raw path, so agent ids do not become label
values; a path no route matches is labelled ``unmatched``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wss.metrics import Metrics

__all__ = ["RequestMetrics", "metrics_endpoint"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class RequestMetrics:
    def __init__(self, app: ASGIApp, metrics: Metrics, routes: Sequence[BaseRoute]) -> None:
        self.app, self.metrics = app, metrics
        # The router puts the matched route's endpoint into the scope: map it back.
        self.templates: dict[Any, str] = {
            r.endpoint: r.path for r in routes if isinstance(r, Route)
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = self.templates.get(scope.get("endpoint"), "unmatched")
            m = self.metrics
            m.api_requests.labels(route, scope["method"], str(status)).inc()
            m.api_latency.labels(route).observe(time.perf_counter() - began)


def metrics_endpoint(metrics: Metrics) -> Any:
    async def endpoint(_request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return endpoint
