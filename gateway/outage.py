"""The log (NATS) as the gateway's requests see it: reachable, or out.

While NATS is out, every request that needs it answers ``503 log_unavailable`` with
``Retry-After`` at once (a disconnected client is not asked to publish: that would hang
for its request timeout). The outage is logged twice, when the first request meets it
and when the first request after it succeeds, never once per request: an outage under
load would otherwise write a traceback per request.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator

import nats.errors
import nats.js.errors
from nats.aio.client import Client

from gateway.errors import ServiceUnavailable

__all__ = ["OUTAGE_ERRORS", "LogOutage"]

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2
# What a lost or not yet ready server looks like to a client; anything else from NATS
# (a refused publish, a sealed stream) is a real answer, not an outage.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionDrainingError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.NoRespondersError,
    nats.errors.NoServersError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.StaleConnectionError,
    nats.errors.TimeoutError,
    nats.js.errors.ServiceUnavailableError,
)


class LogOutage:
    """``with outage.guard(nc): await log.submit(...)``: NATS errors become 503s."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._since: float | None = None
        self._refused = 0

    @property
    def out(self) -> bool:
        return self._since is not None

    @contextlib.contextmanager
    def guard(self, nc: Client) -> Iterator[None]:
        if not nc.is_connected:
            raise self._refuse("not connected")
        try:
            yield
        except OUTAGE_ERRORS as error:
            raise self._refuse(str(error) or type(error).__name__) from None
        self._reached()

    def _refuse(self, reason: str) -> ServiceUnavailable:
        if self._since is None:
            self._since = self._clock()
            log.warning("NATS is unreachable (%s): answering 503 until it is back", reason)
        self._refused += 1
        return ServiceUnavailable(
            "the command log is unreachable: retry later (an action retried with the same "
            "command_id or Idempotency-Key acts once)",
            code="log_unavailable",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    def _reached(self) -> None:
        if self._since is None:
            return
        seconds, refused = self._clock() - self._since, self._refused
        self._since, self._refused = None, 0
        log.warning(
            "NATS is reachable again after %.1f s; %d requests were answered 503",
            seconds,
            refused,
        )
