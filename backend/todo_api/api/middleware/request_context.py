"""Per-request id, safety headers and one access-log line, as plain ASGI (no extra task)."""

import logging
import re
import time
import uuid
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
# Ids from callers are kept only if they cannot smuggle anything into logs or headers.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

access_logger = logging.getLogger("todo_api.access")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_code = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message["headers"] = with_context_headers(message.get("headers", ()), request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if access_logger.isEnabledFor(logging.INFO):
                path = _path_template(scope)
                access_logger.info(
                    "%s %s %s",
                    scope["method"],
                    path,
                    status_code,
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": path,
                        "status": status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )


def with_context_headers(
    headers: Iterable[tuple[bytes, bytes]], request_id: str
) -> list[tuple[bytes, bytes]]:
    """`headers` and those every response carries; also for the 500 handler, whose answer
    Starlette's ServerErrorMiddleware sends outside this middleware."""
    headers = list(headers)
    headers.append((b"x-request-id", request_id.encode("latin-1")))
    headers.append((b"x-content-type-options", b"nosniff"))
    if not any(name.lower() == b"cache-control" for name, _ in headers):
        # Task lists are private: no shared cache may keep them.
        headers.append((b"cache-control", b"no-store"))
    return headers


def _request_id_from(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def _path_template(scope: Scope) -> str:
    """The matched route's path template: never the raw path, so no user or task ids in logs.
    FastAPI's route context has it with the router's prefix; the route only without."""
    context = scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(context, "path", None) or getattr(scope.get("route"), "path", None)
    if isinstance(template, str):
        return template
    if "endpoint" in scope and not scope.get("path_params"):
        return str(scope["path"])  # a fixed path such as /docs: nothing to hide
    return "<unmatched>"
