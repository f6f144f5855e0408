"""The route class of the task endpoints: the caller is checked before the request is read.

FastAPI reads and parses the body before it resolves dependencies, so an authentication
dependency would answer a malformed body with 400 (and let the server send `100 Continue`)
before knowing who asks. This class wraps the route's handler instead, so the order is the
spec's: 401 (token), 403 (path user), 400 (a repeated query parameter), and only then the
body (400/415/422) and the handler. A `Content-Length` over the limit is still refused first,
by BodyLimitMiddleware, without reading anything.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from todo_api.api.auth import authenticate
from todo_api.errors import AccessDenied

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class AuthenticatedRoute(APIRoute):
    """A route whose path has a `{user_id}`: only that user's token gets past it."""

    def get_route_handler(self) -> Handler:
        read_and_handle = super().get_route_handler()

        async def checked_handler(request: Request) -> Response:
            principal = await authenticate(request)
            if principal.user_id != request.scope["path_params"].get("user_id"):
                raise AccessDenied()
            request.state.principal = principal
            if request.scope["query_string"]:
                _refuse_repeated_parameters(request)
            return await read_and_handle(request)

        return checked_handler


def _refuse_repeated_parameters(request: Request) -> None:
    # FastAPI would silently take one of the values; the spec makes a repetition a 400.
    parameters = request.query_params
    if len(parameters) != len(parameters.multi_items()):
        raise HTTPException(400, "Send each query parameter at most once.")
