"""The route class of the task endpoints: the request's head is judged before its body.

FastAPI reads the body before it resolves dependencies, so a check made in a dependency would
answer a malformed body (and let the server send `100 Continue`) before knowing who asks. This
class checks in the spec's order: 401, 403, 400 (repeated query parameter, malformed optional
header), 415, and only then lets FastAPI read the body. After it, the path user is the caller.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from todo_api.api.auth import authenticate
from todo_api.api.optional_header import OptionalHeader
from todo_api.errors import AccessDenied
from todo_api.schemas.problem import NOT_JSON

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class HeadFirstRoute(APIRoute):
    """A route whose path has a `{user_id}`: only that user's token gets past it."""

    @property
    def optional_headers(self) -> list[OptionalHeader[Any]]:
        """The optional headers its handler takes as parameters."""
        return [d.call for d in self.dependant.dependencies if isinstance(d.call, OptionalHeader)]

    def get_route_handler(self) -> Handler:
        read_and_handle = super().get_route_handler()
        headers = self.optional_headers
        takes_body = self.body_field is not None

        async def head_first_handler(request: Request) -> Response:
            principal = await authenticate(request)
            if principal.user_id != request.scope["path_params"].get("user_id"):
                raise AccessDenied()
            if request.scope["query_string"]:
                _refuse_repeated_parameters(request)
            for header in headers:
                if (value := request.headers.get(header.name)) is not None:
                    header.parse(value)
            if takes_body:
                _refuse_unless_json(request)
            return await read_and_handle(request)

        return head_first_handler


def _refuse_unless_json(request: Request) -> None:
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPException(415, NOT_JSON.detail)


def _refuse_repeated_parameters(request: Request) -> None:
    # FastAPI would silently take one of the values; the spec makes a repetition a 400.
    parameters = request.query_params
    if len(parameters) != len(parameters.multi_items()):
        raise HTTPException(400, "Send each query parameter at most once.")
