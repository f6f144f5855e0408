"""The `Allow` of a 405: every method some route serves for the path (RFC 9110), where
Starlette names only the first matching route's."""

from collections.abc import Sequence

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

# The usual order in documentation; anything else follows alphabetically.
_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(routes: Sequence[BaseRoute], scope: Scope) -> list[str]:
    # Only the path decides; a fresh scope keeps what routing stored in the request's own
    # scope (the route it picked) from steering the match.
    probe: Scope = {
        "type": "http",
        "method": "",
        "path": scope["path"],
        "root_path": scope.get("root_path", ""),
    }
    methods: set[str] = set()
    # iter_route_contexts sees through included routers, with their prefixes applied.
    for route in iter_route_contexts(routes):
        route_methods = route.methods
        if route_methods and route.matches(probe)[0] is not Match.NONE:
            methods |= route_methods
    if "GET" in methods:
        methods.add("HEAD")  # served for every GET by HeadMiddleware
    return sorted(methods, key=_rank)


def _rank(method: str) -> tuple[int, str]:
    return (_ORDER.index(method) if method in _ORDER else len(_ORDER), method)
