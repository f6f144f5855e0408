"""Starlette's CORS middleware, with a refused preflight answered like every other error.
What was refused is read from the answer's CORS headers, as a browser does, not its prose."""

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from todo_api.api.problems import problem_response

# Set by the refused Response itself; the problem body replaces them.
_BODY_HEADERS = frozenset({"content-type", "content-length"})


class ProblemCORSMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if 200 <= response.status_code < 300:
            return response
        return _RefusedPreflight(response, refused_parts(request_headers, response.headers))


def refused_parts(request: Headers, answer: Headers) -> list[str]:
    """Which requested parts of a preflight the answer's CORS headers do not allow."""
    refused = []
    if answer.get("access-control-allow-origin") not in ("*", request.get("origin")):
        refused.append("origin")
    allowed_methods = _listed(answer, "access-control-allow-methods")
    if not {"*", request.get("access-control-request-method")} & allowed_methods:
        refused.append("method")
    allowed_headers = {name.lower() for name in _listed(answer, "access-control-allow-headers")}
    requested_headers = {
        name.lower() for name in _listed(request, "access-control-request-headers")
    }
    if "*" not in allowed_headers and not requested_headers <= allowed_headers:
        refused.append("headers")
    if "access-control-request-private-network" in request and (
        answer.get("access-control-allow-private-network") != "true"
    ):
        refused.append("private network access")
    return refused


def _listed(headers: Headers, name: str) -> set[str]:
    return {token.strip() for token in headers.get(name, "").split(",") if token.strip()}


class _RefusedPreflight(Response):
    """A refused preflight as a problem+json 400, built when it is sent, where the request
    (and so its request id) is known."""

    def __init__(self, refusal: Response, refused: list[str]) -> None:
        super().__init__(status_code=refusal.status_code)
        self._refusal = refusal
        self._refused = refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {
            name: value
            for name, value in self._refusal.headers.items()
            if name not in _BODY_HEADERS
        }
        detail = "The CORS preflight was refused"
        if self._refused:
            detail += f": {', '.join(self._refused)} not allowed"
        problem = problem_response(Request(scope), 400, f"{detail}.", headers=headers)
        await problem(scope, receive, send)
