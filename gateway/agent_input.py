"""What an agent sends, checked strictly: the one gate for HTTP bodies and webhook replies.

The ``schemas/`` models are the log's contract and stay as lenient as what is stored
(the engine must keep decoding every command it ever stored). An agent's input is held
to the published schemas here, before any model sees it:

- JSON nesting is bounded before parsing, so a deep document never reaches the
  recursive parser (400 ``json_too_deep``);
- no string and no key may hold a control character or a lone surrogate: they break
  logs, terminals and Postgres text columns (422 ``control_character``);
- values must already have the JSON type the schema names: pydantic's strict JSON mode,
  so ``true`` or ``"5"`` is not an integer (422 ``validation_error``). A number with a
  zero fraction (``5.0``) is one, as JSON Schema says; it is read exactly, as an int.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from decimal import Decimal
from itertools import accumulate
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from gateway.errors import BadRequest, Unprocessable, unprocessable

__all__ = [
    "MAX_JSON_DEPTH",
    "check_text",
    "loads",
    "validate_action",
    "validate_body",
]

# A batch of actions is three levels deep; 32 leaves room and stays far from recursion.
MAX_JSON_DEPTH = 32
# C0 controls, DEL, C1 controls and lone surrogates (from \ud800-style JSON escapes).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_WHOLE_DIGITS = 40  # past every bound in the schemas: such a number is refused by range
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def json_depth(raw: bytes) -> int:
    """How deep ``raw``'s arrays and objects nest, counted without parsing (strings are
    skipped, so brackets inside them do not count)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(_STEP[b] for b in brackets), default=0)


def loads(raw: bytes) -> Any:
    """Parse a request body: 400 ``invalid_json`` if it is not UTF-8 JSON, 400
    ``json_too_deep`` past ``MAX_JSON_DEPTH`` levels (checked before parsing)."""
    if not raw.strip():
        raise BadRequest("a JSON body is required", code="invalid_json")
    try:
        # UTF-8 only (RFC 8259): in it an ASCII byte is always that character, which is
        # what lets json_depth count brackets on the bytes.
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8 JSON", code="invalid_json") from None
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise BadRequest(f"JSON nests deeper than {MAX_JSON_DEPTH} levels", code="json_too_deep")
    try:
        return json.loads(text, parse_float=_number, parse_constant=_not_json)
    except ValueError:
        raise BadRequest("the body is not valid JSON", code="invalid_json") from None


def _number(text: str) -> int | float:
    """A JSON number with a fraction or exponent: an int when it is whole (exactly, not
    through a float), else a float. Huge exponents stay floats: no 10^10^9 ints."""
    value = Decimal(text)
    if value.adjusted() < _WHOLE_DIGITS and value == value.to_integral_value():
        return int(value)
    return float(text)


def _not_json(text: str) -> float:
    raise ValueError(f"{text} is not JSON")


def _control_fields(value: Any, prefix: Sequence[str | int]) -> list[dict[str, str]]:
    """Where in ``value`` a string or key holds a control character (iterative: webhook
    replies arrive parsed, at whatever depth their parser allowed)."""
    found: list[dict[str, str]] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, tuple(prefix))]
    while stack:
        item, loc = stack.pop()
        if isinstance(item, str):
            if _CONTROL.search(item):
                found.append(_control_field(loc, "holds a control character"))
        elif isinstance(item, dict):
            for key, child in item.items():
                if _CONTROL.search(key):
                    found.append(_control_field(loc, "a key holds a control character"))
                else:
                    stack.append((child, (*loc, key)))
        elif isinstance(item, list):
            stack.extend((child, (*loc, i)) for i, child in enumerate(item))
    return sorted(found, key=lambda f: f["loc"])


def _control_field(loc: Sequence[str | int], msg: str) -> dict[str, str]:
    return {"loc": ".".join(map(str, loc)) or "body", "msg": msg, "type": "control_character"}


def check_text(value: Any, prefix: Sequence[str | int] = ()) -> None:
    """422 ``control_character`` naming every string of ``value`` that holds one."""
    fields = _control_fields(value, prefix)
    if fields:
        summary = "; ".join(f"{f['loc']}: {f['msg']}" for f in fields[:5])
        raise Unprocessable(summary, code="control_character", fields=fields)


def validate_body(model: type[M], body: Any) -> M:
    """A request body as ``model``, strictly (422 on any bad field)."""
    check_text(body)
    try:
        return model.model_validate_json(json.dumps(body), strict=True)
    except ValidationError as error:
        raise unprocessable(error) from None


def validate_action(adapter: TypeAdapter[T], body: dict[str, Any]) -> T:
    """One action, strictly; raises ``ValidationError`` (the caller adds its position)."""
    return adapter.validate_json(json.dumps(body), strict=True)
