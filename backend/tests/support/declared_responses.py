"""Every answer a test client receives is checked against what its route declares: the status
among the route's documented ones, and the body exactly what the declared schema makes of it.

The task routes build their responses themselves and declare the schemas for the docs only
(`success_response`, `problem_responses`); this check is what keeps the two the same.
"""

import functools
import json
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import TypeAdapter, ValidationError
from starlette.routing import compile_path

from todo_api.api.head_first_route import HeadFirstRoute
from todo_api.api.problems import PROBLEM_MEDIA_TYPE
from todo_api.schemas.problem import Problem


def declared_response_check(app: FastAPI) -> Any:
    async def check(response: httpx.Response) -> None:
        route = _route_of(app, response.request)
        if route is None:
            return
        await response.aread()
        assert_matches_declaration(route, response)

    return check


def assert_matches_declaration(route: APIRoute, response: httpx.Response) -> None:
    where = f"{response.request.method} {route.path} -> {response.status_code}"
    declared = {route.status_code or 200: {}, **route.responses}
    assert response.status_code in declared, f"{where}: status not declared"
    if response.status_code == 204:
        assert response.content == b"", where
        return
    model = declared[response.status_code].get("model")
    assert model is not None, f"{where}: no schema declared"
    problem = model is Problem
    expected_type = PROBLEM_MEDIA_TYPE if problem else "application/json"
    assert response.headers["content-type"] == expected_type, where
    adapter = _adapter(model)
    try:
        body = adapter.validate_json(response.content)
    except ValidationError as error:
        raise AssertionError(f"{where}: {error}") from error
    # Validated and dumped again, the body must come back unchanged: no field missing,
    # none added, none in another shape.
    again = json.loads(adapter.dump_json(body, exclude_none=problem))
    assert again == json.loads(response.content), where


def _route_of(app: FastAPI, request: httpx.Request) -> HeadFirstRoute | None:
    # iter_route_contexts sees through included routers, with their prefixes applied.
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path_pattern = compile_path(context.path)[0]
        if (
            isinstance(route, HeadFirstRoute)
            and request.method in (context.methods or ())
            and path_pattern.fullmatch(request.url.path)
        ):
            return route
    return None


@functools.cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)
