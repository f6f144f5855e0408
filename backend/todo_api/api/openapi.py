"""The published OpenAPI document, adjusted to say what the API really answers: problem
bodies as `application/problem+json` with examples (no FastAPI `HTTPValidationError`, no 422
where there is no body), and the bearer scheme and optional headers of each HeadFirstRoute."""

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute

from todo_api.api.auth import BEARER_SCHEME, BEARER_SCHEME_NAME
from todo_api.api.head_first_route import HeadFirstRoute
from todo_api.api.problems import PROBLEM_MEDIA_TYPE
from todo_api.schemas.problem import BODY_TOO_LARGE, BY_STATUS, Problem, body_too_large_detail

_PROBLEM_REF = "#/components/schemas/Problem"
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_REQUEST_ID_EXAMPLE = "9f1c2b7e4d0a4f7c8e5b6a3d2c1b0a99"
_EXAMPLE_ERRORS = {
    400: [{"loc": "query.limit", "message": "Input should be less than or equal to 1000"}],
    422: [{"loc": "body.title", "message": "must contain a visible character"}],
}


def install_openapi(app: FastAPI, *, max_body_bytes: int) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            _use_problem_responses(document, max_body_bytes)
            _document_head_first_routes(document, app.routes)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _problem_example(status: int, max_body_bytes: int) -> dict[str, Any]:
    kind = BY_STATUS[status]
    example = Problem(
        title=kind.title,
        status=status,
        detail=body_too_large_detail(max_body_bytes) if kind is BODY_TOO_LARGE else kind.detail,
        code=kind.code,
        request_id=_REQUEST_ID_EXAMPLE,
        errors=_EXAMPLE_ERRORS.get(status),
    )
    return example.model_dump(exclude_none=True)


def _document_head_first_routes(document: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """The bearer scheme, and the optional headers each handler takes, on every operation
    served by a HeadFirstRoute."""
    paths = document.get("paths", {})
    secured = False
    # iter_route_contexts sees through included routers, with their prefixes applied.
    for route in iter_route_contexts(routes):
        endpoint = route.original_route
        if not isinstance(endpoint, HeadFirstRoute) or route.path not in paths:
            continue
        headers = [header.parameter for header in endpoint.optional_headers]
        for method in route.methods or ():
            operation = paths[route.path][method.lower()]
            operation["security"] = [{BEARER_SCHEME_NAME: []}]
            if headers:
                operation.setdefault("parameters", []).extend(headers)
            secured = True
    if secured:
        schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[BEARER_SCHEME_NAME] = BEARER_SCHEME.model_dump(
            mode="json", by_alias=True, exclude_none=True
        )


def _use_problem_responses(document: dict[str, Any], max_body_bytes: int) -> None:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses: dict[str, Any] = operation.get("responses", {})
            if "422" in responses and "requestBody" not in operation:
                del responses["422"]  # only a JSON body can be unprocessable
            for status, response in responses.items():
                content = response.get("content", {})
                json_body = content.get("application/json", {})
                if json_body.get("schema", {}).get("$ref") == _PROBLEM_REF:
                    json_body["example"] = _problem_example(int(status), max_body_bytes)
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    schemas = document.get("components", {}).get("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
