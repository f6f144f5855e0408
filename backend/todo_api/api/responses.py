"""OpenAPI descriptions of the problem responses an operation can give."""

from typing import Any

from todo_api.api.problems import status_title
from todo_api.schemas.problem import Problem


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    # Documented as application/json here; api/openapi.py publishes them as problem+json.
    return {status: {"model": Problem, "description": status_title(status)} for status in statuses}


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
