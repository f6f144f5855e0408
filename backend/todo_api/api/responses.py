"""OpenAPI descriptions of the problem responses an operation can give."""

from http import HTTPStatus
from typing import Any

from todo_api.api.problems import PROBLEM_MEDIA_TYPE
from todo_api.schemas.problem import Problem

_PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}},
        }
        for status in statuses
    }
