"""Which callback URLs and addresses the gateway will POST webhooks to (SSRF rules).

A webhook is a request the server makes on an agent's behalf, so a callback to loopback,
private, link-local or otherwise internal addresses would let an agent probe the
operator's network (SSRF). Only public unicast addresses are allowed. IPv6 forms that
carry an IPv4 address (IPv4-mapped, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``) are
judged by that IPv4 address; IPv4-compatible ``::a.b.c.d`` and Teredo are refused
outright. Host names are resolved and refused if *any* address they resolve to is; the
same check runs again at delivery (``gateway.hooks_http``), which connects only to the
address it vetted, because DNS can change after registration.

``WSS_ALLOW_PRIVATE_CALLBACKS=1`` (local runs, tests) allows loopback and private
addresses; multicast, unspecified, documentation and reserved addresses stay refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from gateway.errors import Unprocessable

__all__ = [
    "CallbackRefused",
    "IPAddress",
    "check_callback_url",
    "refusal",
    "resolve",
    "vetted_addresses",
]

RESOLVE_SECONDS = 2.0
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _nets(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


# Internal but ordinary unicast: what WSS_ALLOW_PRIVATE_CALLBACKS relaxes.
_LOCAL = _nets(
    "127.0.0.0/8",  # loopback
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",  # RFC 1918
    "100.64.0.0/10",  # carrier-grade NAT
    "169.254.0.0/16",  # link-local (cloud metadata)
    "::1/128",
    "fc00::/7",  # unique local
    "fe80::/10",  # link-local
    "fec0::/10",  # site-local (deprecated; Python 3.11 counts it as global)
)
_IPV6_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NOT_PUBLIC_V6 = _nets("3fff::/20")  # documentation (RFC 9637), unknown to Python 3.11


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why the gateway will not send a webhook to ``ip``, or None if it may."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo is not None:
            return f"{ip} is a Teredo address"
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            why = refusal(embedded, allow_private=allow_private)
            return f"{ip} embeds {why}" if why else None
        if ip in _IPV4_COMPATIBLE and int(ip) > 1:
            return f"{ip} is an IPv4-compatible address"
    if any(ip in net for net in _LOCAL):
        return None if allow_private else f"{ip} is a loopback or private address"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    public = ip.is_global and not ip.is_reserved
    if isinstance(ip, ipaddress.IPv6Address):
        public = public and ip in _IPV6_UNICAST and not any(ip in n for n in _NOT_PUBLIC_V6)
    return None if public else f"{ip} is not a public unicast address"


class CallbackRefused(ValueError):
    """A callback host resolves to an address webhooks may not go to."""


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses ``host`` stands for (a literal address stands for itself)."""
    try:
        return [ipaddress.ip_address(host.split("%", 1)[0])]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_SECONDS
        )
    except (OSError, TimeoutError):
        raise CallbackRefused(f"host {host!r} does not resolve") from None
    out: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip not in out:
            out.append(ip)
    return out


async def vetted_addresses(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """``host``'s addresses, or ``CallbackRefused`` if any of them is refused."""
    lowered = host.lower().rstrip(".")
    if not allow_private and (lowered == "localhost" or lowered.endswith(".localhost")):
        raise CallbackRefused(f"{host} is a loopback name")  # RFC 6761, however it resolves
    addresses = await resolve(host, port)
    if not addresses:
        raise CallbackRefused(f"host {host!r} does not resolve")
    for ip in addresses:
        why = refusal(ip, allow_private=allow_private)
        if why:
            raise CallbackRefused(why)
    return addresses


def _refuse(detail: str) -> Unprocessable:
    return Unprocessable(
        detail,
        code="callback_not_allowed",
        fields=[{"loc": "callback_url", "msg": detail, "type": "callback_not_allowed"}],
    )


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
    default_port = 443 if parts.scheme == "https" else 80
    try:
        await vetted_addresses(host, port or default_port, allow_private=allow_private)
    except CallbackRefused as error:
        raise _refuse(f"callback_url refused: {error}") from None
