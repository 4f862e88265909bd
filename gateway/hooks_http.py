"""A lean HTTP/1.1 POST client for webhook fan-out: keep-alive pools per origin, no retries.

httpx costs milliseconds of CPU per request, which at 1,000 webhooks a tick is the whole
tick. Webhooks need little of it: POST a small JSON body, read status and a small body.
Only ``Content-Length`` and ``chunked`` replies are read; anything else closes the
connection. HTTPS uses the default TLS context (certificates verified, by host name).

Every new connection re-vets its host (``gateway.callbacks``): the name is resolved now,
refused if any address it resolves to is refused, and the socket connects to a vetted
address, never to the name (so a DNS answer cannot change between check and connect).
Redirects are never followed: a 3xx is a failed delivery like any other non-2xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

from gateway.callbacks import vetted_addresses

__all__ = ["HookResponse", "HookTransport"]

MAX_HEADER = 16 * 1024


@dataclass(frozen=True, slots=True)
class HookResponse:
    status: int
    body: bytes
    oversized: bool = False  # the body was past ``max_body`` and was not read

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300


_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class HookTransport:
    def __init__(
        self,
        timeout: float,
        max_body: int,
        *,
        allow_private: bool,
        max_idle_per_origin: int = 64,
    ) -> None:
        self.timeout, self.max_body, self.allow_private = timeout, max_body, allow_private
        self.max_idle = max_idle_per_origin
        self._idle: dict[tuple[str, str, int], list[_Conn]] = defaultdict(list)
        self._tls: ssl.SSLContext | None = None

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> HookResponse:
        """POST within ``timeout``; raises OSError/TimeoutError/ValueError on failure
        (``CallbackRefused``, a ValueError, if the host's addresses are refused)."""
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        origin = (scheme, host, port)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {parts.netloc.rsplit('@', 1)[-1]}",
            f"Content-Length: {len(body)}",
            "Connection: keep-alive",
        ]
        head += [f"{k}: {v}" for k, v in headers.items()]
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        async with asyncio.timeout(self.timeout):
            conn = await self._connection(origin)
            try:
                response, reusable = await self._exchange(conn, request)
            except BaseException:
                conn[1].close()
                raise
        if reusable and len(self._idle[origin]) < self.max_idle:
            self._idle[origin].append(conn)
        else:
            conn[1].close()
        return response

    async def _connection(self, origin: tuple[str, str, int]) -> _Conn:
        idle = self._idle[origin]
        while idle:
            reader, writer = idle.pop()
            if not writer.is_closing() and not reader.at_eof():
                return reader, writer
            writer.close()
        scheme, host, port = origin
        tls = None
        if scheme == "https":
            self._tls = self._tls or ssl.create_default_context()
            tls = self._tls
        addresses = await vetted_addresses(host, port, allow_private=self.allow_private)
        error = OSError(f"cannot connect to {host}:{port}")
        for ip in addresses:
            try:
                return await asyncio.open_connection(
                    str(ip), port, ssl=tls, server_hostname=host if tls else None, limit=MAX_HEADER
                )
            except OSError as failed:
                error = failed
        raise error

    async def _exchange(self, conn: _Conn, request: bytes) -> tuple[HookResponse, bool]:
        reader, writer = conn
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        reusable = fields.get("connection", "").lower() != "close"
        if "content-length" in fields:
            length = int(fields["content-length"])
            if length > self.max_body:
                return HookResponse(status, b"", oversized=True), False
            return HookResponse(status, await reader.readexactly(length)), reusable
        if fields.get("transfer-encoding", "").lower() == "chunked":
            chunks, size = [], 0
            while True:
                n = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                data = await reader.readexactly(n + 2)
                if n == 0:
                    break
                size += n
                if size > self.max_body:
                    return HookResponse(status, b"", oversized=True), False
                chunks.append(data[:-2])
            return HookResponse(status, b"".join(chunks)), reusable
        return HookResponse(status, b""), False  # no framing: don't wait for a close

    async def aclose(self) -> None:
        for conns in self._idle.values():
            for _, writer in conns:
                with contextlib.suppress(Exception):
                    writer.close()
        self._idle.clear()
