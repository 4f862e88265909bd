"""A small async Python SDK for the gateway's HTTP API.

Requests that are safe to repeat (reads, and actions: each carries a command id, so a
retry acts at most once) are retried with exponential backoff on connection errors,
timeouts, 502/503/504 and 429 (after its ``Retry-After``); registration too: every attempt
carries the same ``Idempotency-Key``, so a retry gets the first attempt's answer (the same
API key) instead of ``409 name_taken``.

async with WssClient("http://127.0.0.1:8000") as wss:
    me = await wss.register("my-bot", "retail_trader")   # keeps the key
    book = await wss.orderbook("APEX")
    sent = await wss.act({"type": "BUY", "symbol": "APEX", "quantity": 10,
                          "price": book["asks"][0]["price"]})
    outcome = await wss.wait_action(sent["actions"][0]["command_id"])
    async for event in wss.stream([f"agent:{me['agent_id']}"]):
        ...
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

__all__ = ["SseEvent", "WssApiError", "WssClient"]

API = "/api/v1"
RETRY_STATUS = frozenset({429, 502, 503, 504})
LONG_WAIT_SECONDS = 5.0


class WssApiError(Exception):
    """A non-2xx answer: ``status``, the machine-readable ``code``, and ``retry_after``."""

    def __init__(
        self, status: int, code: str, detail: str, retry_after: float | None, body: Any = None
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail = status, code, detail
        self.retry_after, self.body = retry_after, body


def _transient(error: BaseException) -> bool:
    if isinstance(error, WssApiError):
        if error.status == 429 and (error.retry_after or 0) > LONG_WAIT_SECONDS:
            return False  # a spent per-minute budget: the caller decides what to do meanwhile
        return error.status in RETRY_STATUS
    return isinstance(error, httpx.TransportError)


def _unsent(error: BaseException) -> bool:
    """The request never reached the server: repeating it cannot act twice."""
    return isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def _wait(fallback: Any) -> Any:
    """Backoff, or the server's ``Retry-After`` when it gave one (429, 503)."""

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, WssApiError) and error.retry_after is not None:
            return min(error.retry_after, 30.0)
        return float(fallback(state))

    return wait


@dataclass(frozen=True, slots=True)
class SseEvent:
    id: int | None
    event: str
    data: Any


class WssClient:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        api_key: str | None = None,
        *,
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
        retry_seconds: float = 30.0,
        retry_attempts: int = 8,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.agent_id: str | None = None
        self.retry_seconds, self.retry_attempts = retry_seconds, retry_attempts
        self._own = http is None
        self.http = http or httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, trust_env=False
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own:
            await self.http.aclose()

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        retry: bool | None = None,
    ) -> Any:
        """One call; ``retry`` (default: for GET) repeats it on transient failures."""
        again = method == "GET" if retry is None else retry
        retrying = AsyncRetrying(
            retry=retry_if_exception(_transient if again else _unsent),
            stop=stop_after_attempt(self.retry_attempts) | stop_after_delay(self.retry_seconds),
            wait=_wait(wait_exponential_jitter(multiplier=0.2, max=5.0, jitter=0.2)),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(method, path, json_body, params, headers)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _once(
        self,
        method: str,
        path: str,
        json_body: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
    ) -> Any:
        url = path if path.startswith("/") else f"{API}/{path}"
        response = await self.http.request(
            method, url, json=json_body, params=params, headers=self._headers(headers)
        )
        if response.is_success:
            return response.json() if response.content else None
        try:
            body = response.json()
        except ValueError:
            body = {"error": "http_error", "detail": response.text[:200]}
        retry = response.headers.get("retry-after")
        raise WssApiError(
            response.status_code,
            str(body.get("error", "error")),
            str(body.get("detail", "")),
            float(retry) if retry else None,
            body,
        )

    # -- auth --------------------------------------------------------------------------------
    async def register(
        self,
        name: str,
        role: str = "retail_trader",
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Register; the client keeps the key (shown only once: store it). Retried safely
        under one ``idempotency_key`` (a random one unless given)."""
        body: dict[str, Any] = {"name": name, "role": role}
        if callback_url is not None:
            body["callback_url"] = callback_url
        headers = {"Idempotency-Key": idempotency_key or secrets.token_urlsafe(24)}
        out: dict[str, Any] = await self.request(
            "POST", "auth/register", json_body=body, headers=headers, retry=True
        )
        self.api_key, self.agent_id = out["api_key"], out["agent_id"]
        return out

    async def verify(self, api_key: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = await self.request(
            "POST", "auth/verify", json_body={"api_key": api_key or self.api_key}
        )
        self.agent_id = self.agent_id or out["agent_id"]
        return out

    # -- reads -------------------------------------------------------------------------------
    async def portfolio(self, agent_id: str | None = None) -> dict[str, Any]:
        who = agent_id or self.agent_id or (await self.verify())["agent_id"]
        out: dict[str, Any] = await self.request("GET", f"agents/{who}/portfolio")
        return out

    async def messages(self, agent_id: str | None = None, **params: Any) -> list[dict[str, Any]]:
        """Messages delivered to you, newest first (your own only: 403 for another's)."""
        who = agent_id or self.agent_id or (await self.verify())["agent_id"]
        out = await self.request("GET", f"agents/{who}/messages", params=params)
        return list(out["messages"])

    async def alliances(self, **params: Any) -> list[dict[str, Any]]:
        return list((await self.request("GET", "alliances", params=params))["alliances"])

    async def agents(self, **params: Any) -> list[dict[str, Any]]:
        return list((await self.request("GET", "agents", params=params))["agents"])

    async def leaderboard(self, **params: Any) -> list[dict[str, Any]]:
        return list((await self.request("GET", "leaderboard", params=params))["entries"])

    async def stocks(self) -> list[dict[str, Any]]:
        return list((await self.request("GET", "market/stocks"))["stocks"])

    async def stock(self, symbol: str) -> dict[str, Any]:
        out: dict[str, Any] = await self.request("GET", f"market/stocks/{symbol}")
        return out

    async def orderbook(self, symbol: str, depth: int = 10) -> dict[str, Any]:
        out: dict[str, Any] = await self.request(
            "GET", f"market/orderbook/{symbol}", params={"depth": depth}
        )
        return out

    async def history(self, symbol: str, interval: str = "1m", **params: Any) -> list[Any]:
        out = await self.request(
            "GET", f"market/history/{symbol}", params={"interval": interval, **params}
        )
        return list(out["bars"])

    async def news(self, **params: Any) -> list[dict[str, Any]]:
        return list((await self.request("GET", "news", params=params))["news"])

    async def world(self) -> dict[str, Any]:
        out: dict[str, Any] = await self.request("GET", "world/status")
        return out

    async def tick(self) -> int:
        return int((await self.request("GET", "world/tick"))["tick"])

    # -- actions -----------------------------------------------------------------------------
    async def act(
        self, action: Mapping[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Send one action (retried safely: it gets a command id if it has none)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        body = dict(action) if idempotency_key else _with_command_id(action)
        out: dict[str, Any] = await self.request(
            "POST", "actions", json_body=body, headers=headers, retry=True
        )
        return out

    async def act_many(self, actions: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = await self.request(
            "POST", "actions", json_body=[_with_command_id(a) for a in actions], retry=True
        )
        return out

    async def action(self, command_id: str) -> dict[str, Any]:
        out: dict[str, Any] = await self.request("GET", f"actions/{command_id}")
        return out

    async def wait_action(
        self, command_id: str, wait_seconds: float = 10.0, poll: float = 0.1
    ) -> dict[str, Any]:
        """Poll until the command has an outcome (accepted/rejected) or ``wait_seconds``."""
        async with asyncio.timeout(wait_seconds):
            while True:
                status = await self.action(command_id)
                if status["status"] != "pending":
                    return status
                await asyncio.sleep(poll)

    async def wait_registered(self, wait_seconds: float = 30.0, poll: float = 0.2) -> None:
        """Wait until this client's agent is in the world (its registration's tick)."""
        async with asyncio.timeout(wait_seconds):
            while True:
                try:
                    await self.request("GET", f"agents/{self.agent_id}")
                    return
                except WssApiError as error:
                    if error.code != "unknown_agent":
                        raise
                await asyncio.sleep(poll)

    # -- stream ------------------------------------------------------------------------------
    async def stream(
        self, channels: Iterable[str], last_event_id: int | None = None
    ) -> AsyncIterator[SseEvent]:
        """Server-sent events on ``channels`` (``agent:<me>`` needs this client's key)."""
        headers = self._headers()
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        params = {"channels": ",".join(channels)}
        async with self.http.stream(
            "GET",
            f"{API}/stream",
            params=params,
            headers=headers,
            timeout=httpx.Timeout(10.0, read=None),
        ) as response:
            if not response.is_success:
                await response.aread()
                body = response.json()
                raise WssApiError(
                    response.status_code,
                    str(body.get("error")),
                    str(body.get("detail", body.get("channel", ""))),
                    None,
                    body,
                )
            fields: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line == "":
                    if "data" in fields:
                        raw = fields.get("id")
                        try:
                            data: Any = json.loads(fields["data"])
                        except ValueError:
                            data = fields["data"]
                        yield SseEvent(
                            int(raw) if raw else None, fields.get("event", "message"), data
                        )
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    fields[name] = fields[name] + "\n" + value if name in fields else value


def _with_command_id(action: Mapping[str, Any]) -> dict[str, Any]:
    """A command id of the client's own, so that a retried request acts at most once."""
    body = dict(action)
    body.setdefault("command_id", "sdk-" + secrets.token_hex(8))
    return body
