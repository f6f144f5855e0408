"""Dependencies of the task routes, as `Annotated` aliases (TaskServiceDep, UserIdPath...),
and the optional request headers the routes read themselves (If-Match, Idempotency-Key).

One dependency per request does the work (measured: every dependency FastAPI resolves costs
CPU on every request): `open_task_service` opens the request's session and hands the route
a TaskService bound to the path user (the caller, checked by AuthenticatedRoute). Dependencies
are `async def`: FastAPI runs plain `def` dependencies in a thread pool, a thread hop per
request. The optional headers are read from the request rather than declared as FastAPI
header parameters, also for CPU: a route's first header parameter cost ~80k instructions per
request (3% of a create); the routes publish them in the contract with `openapi_extra`.
"""

import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request

from todo_api.api.etag import IF_MATCH_PATTERN, MAX_IF_MATCH_TAGS, parse_if_match
from todo_api.auth.principal import Principal
from todo_api.database import Database
from todo_api.errors import AccessDenied
from todo_api.models.task import IDEMPOTENCY_KEY_MAX_LENGTH, USER_ID_PATTERN
from todo_api.repositories.task_repository import TaskRepository
from todo_api.services.task_service import TaskService

UserIdPath = Annotated[
    str,
    Path(
        pattern=USER_ID_PATTERN,
        description="The Better Auth user id: 1 to 128 characters of A-Z, a-z, 0-9, `_` and `-`.",
        examples=["PkT4IjEnSg188RUyeRggOZiHz5miNZE2"],
    ),
]
TaskIdPath = Annotated[uuid.UUID, Path(description="The task's id (a UUID).")]
IF_MATCH_HEADER = {
    "name": "if-match",
    "in": "header",
    "required": False,
    "description": "Optional: the task's ETag (its `updated_at` in quotes, as a GET or a list "
    "shows it); the write is refused with 412 if the task has changed since. "
    f'Absent, or "*", means any version. At most {MAX_IF_MATCH_TAGS} tags.',
    "schema": {"type": "string", "default": "*", "pattern": IF_MATCH_PATTERN},
}
IDEMPOTENCY_KEY_HEADER = {
    "name": "idempotency-key",
    "in": "header",
    "required": False,
    "description": "Optional: a key the client makes once per task it means to create (a UUID) "
    "and sends again on every retry of that create; a repeat with the same body answers the "
    "task the first one made, without writing. 1 to 255 visible ASCII characters.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH,
        "pattern": "^[!-~]+$",
    },
}
_IDEMPOTENCY_KEY = re.compile(f"[!-~]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}")


def if_match_versions(request: Request) -> list[datetime] | None:
    """The task versions the request's If-Match accepts; None when any will do."""
    return parse_if_match(request.headers.get("if-match"))


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and _IDEMPOTENCY_KEY.fullmatch(key) is None:
        raise HTTPException(
            400,
            f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII "
            "characters (a UUID will do).",
        )
    return key


async def open_task_service(request: Request, user_id: UserIdPath) -> AsyncIterator[TaskService]:
    """The caller may only act on their own path: decided before any database work.

    AuthenticatedRoute has already authenticated the caller and compared the path user, before
    the body was read; this check keeps a route without it from reaching anyone's tasks.
    """
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or principal.user_id != user_id:
        raise AccessDenied()
    database: Database = request.app.state.database
    async with database.unit_of_work() as session:
        yield TaskService(TaskRepository(session, user_id))


# scope="function": the session closes when the handler returns, before the response is
# sent, so its connection is back in the pool while the response goes out.
TaskServiceDep = Annotated[TaskService, Depends(open_task_service, scope="function")]


async def require_json_body(request: Request) -> None:
    """Refuse bodies in a format the API does not speak, before reading them."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPException(415, "Send the body as JSON with Content-Type: application/json.")
