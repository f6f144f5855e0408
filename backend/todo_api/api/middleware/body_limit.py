"""Refuse request bodies over a size limit (413) without reading them whole."""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_api.api.problems import problem_response
from todo_api.schemas.problem import body_too_large_detail


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.max_body_bytes:
                # Refused from the header alone: not one byte of the body is read.
                response = problem_response(
                    Request(scope), 413, body_too_large_detail(self.max_body_bytes)
                )
                await response(scope, receive, send)
                return
            # The server reads exactly Content-Length bytes: nothing more can arrive.
            await self.app(scope, receive, send)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # A chunked body that lied about (or hid) its size stops here.
                    raise HTTPException(413, body_too_large_detail(self.max_body_bytes))
            return message

        await self.app(scope, counting_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
