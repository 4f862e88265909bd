"""One root error for the gateway, translated to JSON responses in one place.

Every error response is ``{"error": <code>, "detail": <text>}``; validation errors add
``"fields": [{"loc", "msg", "type"}]``. Nothing about the server's insides (tracebacks,
SQL, keys) ever reaches the client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger(__name__)

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthorized",
    "Unprocessable",
    "exception_handlers",
    "field_errors",
]


class ApiError(Exception):
    """Root of the errors a client should see; ``status`` and ``code`` pick the response."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        fields: Sequence[Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.fields = list(fields) if fields is not None else None
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code, "detail": self.detail}
        if self.fields is not None:
            out["fields"] = self.fields
        return out


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"

    def __init__(self, detail: str = "missing or invalid API key", **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="wss"'})
        super().__init__(detail, **kw)


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class Unprocessable(ApiError):
    status, code = 422, "validation_error"


class RateLimited(ApiError):
    status, code = 429, "rate_limited"

    def __init__(self, detail: str, retry_after: int, **kw: Any) -> None:
        self.retry_after = max(1, int(retry_after))
        kw.setdefault("headers", {"Retry-After": str(self.retry_after)})
        super().__init__(detail, **kw)


class ServiceUnavailable(ApiError):
    status, code = 503, "unavailable"


def field_errors(error: ValidationError, prefix: Sequence[str | int] = ()) -> list[dict[str, str]]:
    """Pydantic's errors as ``{"loc": "actions.0.price", "msg": ..., "type": ...}``."""
    out = []
    for e in error.errors(include_url=False, include_input=False, include_context=False):
        loc = ".".join(str(p) for p in (*prefix, *e["loc"])) or "body"
        out.append({"loc": loc, "msg": e["msg"], "type": e["type"]})
    return out


def unprocessable(error: ValidationError, prefix: Sequence[str | int] = ()) -> Unprocessable:
    fields = field_errors(error, prefix)
    summary = "; ".join(f"{f['loc']}: {f['msg']}" for f in fields[:5])
    return Unprocessable(summary or "invalid body", fields=fields)


def _json(status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _json(exc.status, exc.body(), exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationError)
    err = unprocessable(exc)
    return _json(err.status, err.body())


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
}


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    return _json(exc.status_code, {"error": code, "detail": str(exc.detail)}, exc.headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    # A programming error: logged here with its traceback, never shown to the client.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _json(500, {"error": "internal_error", "detail": "internal error"})


def exception_handlers() -> dict[Any, Any]:
    """The gateway's one mapping from exception classes to responses."""
    return {
        ApiError: _api_error,
        ValidationError: _validation_error,
        HTTPException: _http_error,
        Exception: _unexpected,
    }
