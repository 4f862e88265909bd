"""How stored events map onto JetStream subjects, headers and payloads.

Why one subject per (originator id, version): "this version already exists" then becomes
"this subject already has a message", which JetStream checks atomically with
`Nats-Expected-Last-Subject-Sequence: 0`. The subject alone also tells us the id, the id's
type and the version, so listing an aggregate's versions never touches payloads.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import quote, unquote
from uuid import UUID

__all__ = [
    "TOPIC_HEADER",
    "decode_id",
    "decode_name",
    "decode_topic",
    "encode_id",
    "encode_name",
    "encode_topic",
    "sanitize",
]

TOPIC_HEADER = "Es-Topic"
NOTIFICATION_ID_HEADER = "Es-Notification-Id"

_SAFE = re.compile(r"[A-Za-z0-9_-]+")
_UUID_HEX = re.compile(r"[0-9a-f]{32}")
_ENCODED = "~"  # never produced by a "safe" token, so encoded and plain tokens can't collide


def sanitize(name: str) -> str:
    """Stream names and subject prefixes: anything outside [A-Za-z0-9_-] becomes '_'."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name) or "_"


def encode_name(name: str) -> str:
    """Injective: readable when already subject-safe, else '~' + base64url of the UTF-8."""
    if _SAFE.fullmatch(name):
        return name
    return _ENCODED + base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")


def decode_name(token: str) -> str:
    if not token.startswith(_ENCODED):
        return token
    raw = token[1:]
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()


def encode_id(originator_id: UUID | str) -> str:
    """UUIDs become 32 lowercase hex chars; str ids that look like that are '~'-encoded."""
    if isinstance(originator_id, UUID):
        return originator_id.hex
    if _UUID_HEX.fullmatch(originator_id):
        return _ENCODED + base64.urlsafe_b64encode(originator_id.encode()).decode().rstrip("=")
    return encode_name(originator_id)


def decode_id(token: str) -> UUID | str:
    if _UUID_HEX.fullmatch(token):
        return UUID(hex=token)
    return decode_name(token)


def encode_topic(topic: str) -> str:
    # Header values must be single-line ASCII; ordinary topics ("pkg.mod:Cls") pass unchanged.
    return quote(topic, safe=":._-/<>[], ")


def decode_topic(value: str) -> str:
    return unquote(value)
