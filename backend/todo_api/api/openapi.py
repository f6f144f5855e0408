"""The published OpenAPI document, adjusted to say what the API really answers.

FastAPI documents a 422 `HTTPValidationError` on every operation with parameters; this API
answers bad path/query/header values with 400 and bad bodies with 422, both as `Problem`
bodies in `application/problem+json`. The document is built once and cached.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from todo_api.api.problems import PROBLEM_MEDIA_TYPE

_PROBLEM_REF = "#/components/schemas/Problem"
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            _use_problem_responses(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _use_problem_responses(document: dict[str, Any]) -> None:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses: dict[str, Any] = operation.get("responses", {})
            if "422" in responses and "requestBody" not in operation:
                del responses["422"]  # only a JSON body can be unprocessable
            for response in responses.values():
                content = response.get("content", {})
                json_schema = content.get("application/json", {}).get("schema", {})
                if json_schema.get("$ref") == _PROBLEM_REF:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    schemas = document.get("components", {}).get("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
