"""The one translation of the error hierarchy (assistant/errors.py) to HTTP: `{error_code, detail}`
with a status per error class, and FastAPI's own refusals in the same shape."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import (
    AssistantError,
    AuthenticationError,
    FeatureDisabledError,
    GeneratorUnavailableError,
    IndexMismatchError,
    IndexNotBuiltError,
    InvalidInputError,
    ModelFileError,
    NotFoundError,
    PartnerExistsError,
    PartnerKeyRequiredError,
    PermissionDeniedError,
    RateLimitedError,
)

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 413: "body_too_large", 415: "unsupported_media_type",
}
# The one translation of the error hierarchy (assistant/errors.py) to HTTP statuses; any other
# AssistantError is a 500.
_STATUS: dict[type[AssistantError], int] = {
    InvalidInputError: 422,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    PartnerKeyRequiredError: 400,
    RateLimitedError: 429,
    NotFoundError: 404,
    PartnerExistsError: 409,
    FeatureDisabledError: 503,
    IndexNotBuiltError: 503,
    IndexMismatchError: 503,
    GeneratorUnavailableError: 503,
    ModelFileError: 503,
}


def _status_for(exc: AssistantError) -> int:
    for cls, status in _STATUS.items():
        if isinstance(exc, cls):
            return status
    return 500


def error_response(exc: AssistantError) -> JSONResponse:
    """`{error_code, detail}` with the status of the error's class; a rate limit adds
    `retry_after` and Retry-After, an authentication error with a scheme WWW-Authenticate."""
    body: dict[str, Any] = {"error_code": exc.code, "detail": str(exc)}
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimitedError):
        body["retry_after"] = exc.retry_after
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, AuthenticationError) and exc.scheme:
        headers["WWW-Authenticate"] = exc.scheme
    return JSONResponse(body, status_code=_status_for(exc), headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AssistantError)
    async def assistant_error(request: Request, exc: AssistantError) -> JSONResponse:
        response = error_response(exc)
        if response.status_code >= 500:
            logger.error("request failed code=%s detail=%s", exc.code, exc)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI's own refusals (unknown route, wrong method, an unparsable body) in the API's
        # error shape; a body FastAPI cannot parse (e.g. JSON nested too deeply) is bad input.
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            return JSONResponse(
                {"error_code": "invalid_input", "detail": "body: not valid JSON (unreadable or nested too deeply)"},
                status_code=422,
            )
        return JSONResponse(
            {"error_code": _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}"), "detail": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        return JSONResponse(
            {"error_code": "invalid_input", "detail": "; ".join(problems) or "invalid request"}, status_code=422
        )
