"""The published OpenAPI document, adjusted to say what the API really answers.

FastAPI documents a 422 `HTTPValidationError` on every operation with parameters; this API
answers bad path/query/header values with 400 and bad bodies with 422, both as `Problem`
bodies in `application/problem+json`. The bearer scheme is added to the operations that
authenticate. The document is built once and cached.
"""

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute

from todo_api.api.auth import BEARER_SCHEME, BEARER_SCHEME_NAME
from todo_api.api.authenticated_route import AuthenticatedRoute
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
            _document_bearer_auth(document, app.routes)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document_bearer_auth(document: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """The bearer scheme on exactly the operations served by an AuthenticatedRoute."""
    paths = document.get("paths", {})
    secured = False
    # iter_route_contexts sees through included routers, with their prefixes applied.
    for route in iter_route_contexts(routes):
        endpoint = route.original_route
        if isinstance(endpoint, AuthenticatedRoute) and route.path in paths:
            for method in route.methods or ():
                paths[route.path][method.lower()]["security"] = [{BEARER_SCHEME_NAME: []}]
                secured = True
    if secured:
        schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[BEARER_SCHEME_NAME] = BEARER_SCHEME.model_dump(
            mode="json", by_alias=True, exclude_none=True
        )


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
