"""OpenAPI descriptions of the problem responses an operation can give."""

from typing import Any

from todo_api.api.problems import default_code, status_title
from todo_api.errors import AccessDenied, DatabaseUnavailable, PreconditionFailed, TaskNotFound
from todo_api.schemas.problem import Problem

_REQUEST_ID_EXAMPLE = "9f1c2b7e4d0a4f7c8e5b6a3d2c1b0a99"

# A typical body for each status, so the docs UI shows each error as it comes (the
# schema's own example is a 404). Domain errors lend their real sentences.
_EXAMPLE_DETAILS: dict[int, tuple[str, list[dict[str, str]] | None]] = {
    400: (
        "The request has an invalid path, query or header value.",
        [{"loc": "query.limit", "message": "Input should be less than or equal to 1000"}],
    ),
    401: ("Send a Better Auth token as 'Authorization: Bearer <token>'.", None),
    403: (AccessDenied().detail, None),
    404: (TaskNotFound().detail, None),
    412: (PreconditionFailed().detail, None),
    413: ("The request body is larger than 65536 bytes.", None),
    415: ("Send the body as JSON with Content-Type: application/json.", None),
    422: (
        "The request body is not a valid task.",
        [{"loc": "body.title", "message": "must contain a visible character"}],
    ),
    500: ("An unexpected error occurred; it has been logged.", None),
    503: (DatabaseUnavailable().detail, None),
}


def problem_example(status: int) -> dict[str, Any]:
    detail, errors = _EXAMPLE_DETAILS.get(status, (f"{status_title(status)}.", None))
    example = Problem(
        title=status_title(status),
        status=status,
        detail=detail,
        code=default_code(status),
        request_id=_REQUEST_ID_EXAMPLE,
        errors=errors,
    )
    return example.model_dump(exclude_none=True)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    # Documented as application/json here; api/openapi.py publishes them as problem+json.
    return {
        status: {
            "model": Problem,
            "description": status_title(status),
            "content": {"application/json": {"example": problem_example(status)}},
        }
        for status in statuses
    }


_HEADER_DESCRIPTIONS = {
    "ETag": "The task's version (its `updated_at` in quotes), for `If-Match` on a later "
    "PUT, PATCH or DELETE.",
    "Location": "The URL of the created task.",
    "X-Total-Count": "How many tasks match the filter, across all pages.",
}


def success_headers(status: int, *names: str) -> dict[int | str, dict[str, Any]]:
    headers = {
        name: {"description": _HEADER_DESCRIPTIONS[name], "schema": {"type": "string"}}
        for name in names
    }
    return {status: {"headers": headers}}
