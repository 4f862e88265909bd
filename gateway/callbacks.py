"""Which callback URLs the gateway will POST to: public http(s) hosts only, by default.

A webhook is a request the server makes on an agent's behalf, so a callback to loopback,
private, link-local or otherwise internal addresses would let an agent probe the
operator's network (SSRF). Those are refused unless the operator allows them
(``WSS_ALLOW_PRIVATE_CALLBACKS=1``, for local runs and tests).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from gateway.errors import Unprocessable

__all__ = ["check_callback_url"]

RESOLVE_SECONDS = 2.0


def _refuse(detail: str) -> Unprocessable:
    return Unprocessable(
        detail,
        code="callback_not_allowed",
        fields=[{"loc": "callback_url", "msg": detail, "type": "callback_not_allowed"}],
    )


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not ip.is_global or ip.is_multicast


async def check_callback_url(url: str, *, allow_private: bool) -> None:
    """Raise 422 ``callback_not_allowed`` unless ``url`` may receive webhooks."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise _refuse("callback_url is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise _refuse("callback_url must be an http(s) URL with a host")
    if parts.username or parts.password:
        raise _refuse("callback_url must not carry credentials")
    if allow_private:
        return
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            raise _refuse("callback_url points at a private or loopback address") from None
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM), RESOLVE_SECONDS
            )
        except (OSError, TimeoutError):
            raise _refuse(f"callback_url host {host!r} does not resolve") from None
        addresses = [str(info[4][0]) for info in infos]
    if not addresses or any(_internal(a) for a in addresses):
        raise _refuse("callback_url points at a private or loopback address")
