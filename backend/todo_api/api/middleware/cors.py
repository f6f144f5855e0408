"""Starlette's CORS middleware, with a refused preflight answered like every other error."""

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
        if response.status_code == 200:
            return response
        return _RefusedPreflight(response)


class _RefusedPreflight(Response):
    """Starlette's refusal ("Disallowed CORS origin, method") as a problem+json 400, built
    when it is sent, where the request (and so its request id) is known."""

    def __init__(self, refusal: Response) -> None:
        super().__init__(status_code=refusal.status_code)
        self._refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused = bytes(self._refusal.body).decode().removeprefix("Disallowed CORS ")
        headers = {
            name: value
            for name, value in self._refusal.headers.items()
            if name not in _BODY_HEADERS
        }
        detail = f"The CORS preflight was refused: {refused} not allowed."
        problem = problem_response(Request(scope), 400, detail, headers=headers)
        await problem(scope, receive, send)
