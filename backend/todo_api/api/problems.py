"""The one place where errors become RFC 9457 problem responses; no stack trace, SQL or driver
text leaks into them."""

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from todo_api.api.allowed_methods import allowed_methods
from todo_api.api.middleware.request_context import with_context_headers
from todo_api.errors import (
    AuthenticationFailed,
    BackendUnavailable,
    DomainError,
    IdempotencyKeyInUse,
)
from todo_api.schemas.problem import (
    BAD_REQUEST,
    BY_STATUS,
    INVALID_TASK,
    UNEXPECTED,
    Problem,
    problem_type_of,
    status_title,
)
from todo_api.settings_display import without_pydantic_prefix

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

# A validation failure lists at most this many errors (a body with thousands of unknown keys
# must not make an answer many times its size); the detail counts the rest.
MAX_LISTED_ERRORS = 20
# A location names a key the client sent, which may be long.
MAX_ERROR_LOCATION_LENGTH = 200
# A create with the same Idempotency-Key is settling: the next try finds it done.
IDEMPOTENCY_KEY_RETRY_AFTER_SECONDS = 1


def default_code(status: int) -> str:
    """The code of a failure known only by its status."""
    if (kind := BY_STATUS.get(status)) is not None:
        return kind.code
    return UNEXPECTED.code if status >= 500 else "ERROR"


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    problem = Problem(
        title=status_title(status),
        status=status,
        detail=detail,
        code=code or default_code(status),
        request_id=getattr(request.state, "request_id", None),
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_MEDIA_TYPE,
    )


def install_problem_handlers(app: FastAPI, *, retry_after_seconds: int) -> None:
    async def on_domain_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)
        kind = problem_type_of(error)
        headers: dict[str, str] = {}
        if isinstance(error, AuthenticationFailed):
            headers["WWW-Authenticate"] = (
                'Bearer error="invalid_token"' if error.token_sent else "Bearer"
            )
        elif isinstance(error, BackendUnavailable):
            # Not logged here, per request (a client could fill the log): the database layer
            # logs its causes once per change, the JWKS client each failed fetch.
            headers["Retry-After"] = str(error.retry_after_seconds or retry_after_seconds)
        elif isinstance(error, IdempotencyKeyInUse):
            headers["Retry-After"] = str(IDEMPOTENCY_KEY_RETRY_AFTER_SECONDS)
        return problem_response(request, kind.status, error.detail, code=kind.code, headers=headers)

    async def on_validation_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        errors = error.errors()
        # Only a well-formed JSON body that breaks the task schema is 422; a bad path, query
        # or header value, or a body that is not JSON at all, is a bad request (400).
        in_body = all(e.get("loc", ())[:1] == ("body",) for e in errors)
        malformed_json = any(e.get("type") == "json_invalid" for e in errors)
        items = list(_error_items(errors[:MAX_LISTED_ERRORS]))
        if in_body and not malformed_json:
            detail = INVALID_TASK.detail
            return problem_response(request, 422, _counted(detail, errors), errors=items)
        detail = "The request body is not valid JSON." if malformed_json else BAD_REQUEST.detail
        return problem_response(request, 400, _counted(detail, errors), errors=items)

    async def on_http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        detail = error.detail if isinstance(error.detail, str) else status_title(error.status_code)
        headers = dict(error.headers or {})
        if error.status_code == 405:
            # Starlette names only the first matching route's methods; a path served by
            # several routes must list them all (RFC 9110).
            headers["Allow"] = ", ".join(allowed_methods(request.app.router.routes, request.scope))
        return problem_response(request, error.status_code, detail, headers=headers)

    async def on_unexpected_error(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=error)
        response = problem_response(request, 500, UNEXPECTED.detail)
        request_id = getattr(request.state, "request_id", None)
        if request_id is not None:
            response.raw_headers = with_context_headers(response.raw_headers, request_id)
        return response

    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected_error)


def _counted(detail: str, errors: Sequence[Any]) -> str:
    if len(errors) <= MAX_LISTED_ERRORS:
        return detail
    return f"{detail} It has {len(errors)} errors; the first {MAX_LISTED_ERRORS} are listed."


def _error_items(errors: Iterable[Any]) -> Iterable[dict[str, str]]:
    for error in errors:
        location = ".".join(str(part) for part in error.get("loc", ()))
        if len(location) > MAX_ERROR_LOCATION_LENGTH:
            location = location[: MAX_ERROR_LOCATION_LENGTH - 3] + "..."
        message = without_pydantic_prefix(str(error.get("msg", "invalid value")))
        yield {"loc": location, "message": message}
