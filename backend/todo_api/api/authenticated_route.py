"""The route class of the task endpoints: the caller is checked before the request is read.

FastAPI reads and parses the body before it resolves dependencies, so an authentication
dependency would answer a malformed body with 400 (and let the server send `100 Continue`)
before knowing who asks. This class wraps the route's handler instead, so the order is the
spec's: 401 (token), 403 (path user), 400 (a repeated query parameter, a malformed If-Match or
Idempotency-Key), and only then the body (400/415/422) and the handler. A `Content-Length` over
the limit is still refused first, by BodyLimitMiddleware, without reading anything.

The optional headers are parsed here once, for the routes that declare them in their
`openapi_extra` parameters (the contract and the check cannot disagree), and handed to the
handler on `request.state` (`if_match`, `idempotency_key`).
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from todo_api.api.auth import authenticate
from todo_api.api.etag import IF_MATCH_HEADER, parse_if_match
from todo_api.api.idempotency_key import IDEMPOTENCY_KEY_HEADER, parse_idempotency_key
from todo_api.errors import AccessDenied

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class AuthenticatedRoute(APIRoute):
    """A route whose path has a `{user_id}`: only that user's token gets past it."""

    def get_route_handler(self) -> Handler:
        read_and_handle = super().get_route_handler()
        declared = self.openapi_extra.get("parameters", []) if self.openapi_extra else []
        reads_if_match = IF_MATCH_HEADER in declared
        reads_idempotency_key = IDEMPOTENCY_KEY_HEADER in declared

        async def checked_handler(request: Request) -> Response:
            principal = await authenticate(request)
            if principal.user_id != request.scope["path_params"].get("user_id"):
                raise AccessDenied()
            request.state.principal = principal
            if request.scope["query_string"]:
                _refuse_repeated_parameters(request)
            if reads_if_match:
                request.state.if_match = parse_if_match(request.headers.get("if-match"))
            if reads_idempotency_key:
                key = request.headers.get("idempotency-key")
                request.state.idempotency_key = parse_idempotency_key(key)
            return await read_and_handle(request)

        return checked_handler


def _refuse_repeated_parameters(request: Request) -> None:
    # FastAPI would silently take one of the values; the spec makes a repetition a 400.
    parameters = request.query_params
    if len(parameters) != len(parameters.multi_items()):
        raise HTTPException(400, "Send each query parameter at most once.")
