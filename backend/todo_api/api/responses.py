"""OpenAPI descriptions of an operation's responses; api/openapi.py adds the problem examples."""

from typing import Any

from todo_api.schemas.problem import Problem, status_title


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    # Documented as application/json here; api/openapi.py publishes them as problem+json.
    return {status: {"model": Problem, "description": status_title(status)} for status in statuses}


_HEADER_DESCRIPTIONS = {
    "ETag": "The task's version (its `updated_at` in quotes), for `If-Match` on a later "
    "PUT, PATCH or DELETE.",
    "Location": "The URL of the created task.",
    "X-Total-Count": "How many tasks match the filter, across all pages.",
}


def success_response(status: int, body: Any, *headers: str) -> dict[int | str, dict[str, Any]]:
    """The success answer's body schema and headers, for the docs only: the handler builds the
    response itself (api/task_responses.py), and a test checks every answer against this."""
    described = {
        name: {"description": _HEADER_DESCRIPTIONS[name], "schema": {"type": "string"}}
        for name in headers
    }
    return {status: {"model": body, "headers": described}}
