"""The one place errors become HTTP: a status per :class:`TactfulError` subclass, and one
body for every error, ``{"error": {"code": "...", "message": "..."}}``.

``code`` is stable and machine-readable (the error class's name in snake case unless it
says otherwise); ``message`` is the sentence a person reads. No traceback ever leaves the
server: an unexpected failure is logged and answered with a plain 500.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent.errors import (
    Conflict,
    IngestError,
    InvalidInput,
    ModelUnavailable,
    StoreUnavailable,
    TactfulError,
    UnknownConversation,
    UnknownEscalation,
    UnknownExperiment,
    UnknownFact,
    UnknownItem,
    UnknownList,
    UnknownShopper,
)
from agent.stores.vectors import index_failure

log = logging.getLogger("tactful.api")


class NotAuthenticated(TactfulError):
    """No credentials, or ones this server does not know."""

    title = "Not authenticated"


class TokenExpired(NotAuthenticated):
    title = "Token expired"


class Forbidden(TactfulError):
    """Known credentials that may not do this (a shopper token and another shopper's data,
    a staff key and the catalog)."""

    title = "Forbidden"


class PayloadTooLarge(TactfulError):
    title = "Request too large"


class RateLimited(TactfulError):
    title = "Too many requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


STATUS: dict[type[TactfulError], int] = {
    InvalidInput: 400,
    IngestError: 400,
    NotAuthenticated: 401,
    Forbidden: 403,
    UnknownShopper: 404,
    UnknownItem: 404,
    UnknownFact: 404,
    UnknownConversation: 404,
    UnknownEscalation: 404,
    UnknownList: 404,
    UnknownExperiment: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    RateLimited: 429,
    ModelUnavailable: 503,
    StoreUnavailable: 503,
}


def status_for(exc: TactfulError) -> int:
    """The status of the nearest mapped class; a user's mistake (400) otherwise."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def code_for(exc: TactfulError) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def tactful_error_response(exc: TactfulError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    return error_response(status_for(exc), code_for(exc), exc.message, headers)


def _field(loc: tuple[Any, ...]) -> str:
    # ("body", "events", 0, "kind") -> "events.0.kind"; where it came from is noise here.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def validation_message(exc: RequestValidationError) -> str:
    """Each problem as "field: what is wrong", the field named the way it was sent."""
    lines = []
    for error in exc.errors()[:5]:
        if error.get("type") == "json_invalid":
            lines.append(f"body: not valid JSON ({error.get('ctx', {}).get('error', 'bad')})")
        else:
            lines.append(f"{_field(tuple(error.get('loc', ())))}: {error.get('msg', 'invalid')}")
    more = len(exc.errors()) - len(lines)
    return "; ".join(lines) + (f"; and {more} more" if more > 0 else "")


def install_error_handlers(app: FastAPI) -> None:
    """Route every failure through the one body shape."""

    @app.exception_handler(TactfulError)
    async def _tactful(_request: Request, exc: TactfulError) -> JSONResponse:
        return tactful_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = dict(exc.headers) if exc.headers else None
        return error_response(exc.status_code, code, str(exc.detail), headers)

    @app.exception_handler(SQLAlchemyError)
    async def _store(_request: Request, exc: SQLAlchemyError) -> JSONResponse:
        log.error("store failure: %s", type(exc).__name__, exc_info=exc)
        return error_response(503, "store_unavailable", "Storing or reading data failed.")

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        damaged = index_failure(exc)  # Chroma's index is damaged: `tactful reindex` repairs it
        if damaged is not None:
            log.error("vector index failure: %s", type(exc).__name__, exc_info=exc)
            return tactful_error_response(damaged)
        log.error("unexpected failure", exc_info=exc)
        return error_response(500, "internal_error", "Something went wrong on our side.")
