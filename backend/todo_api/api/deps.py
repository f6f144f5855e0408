"""Dependencies of the task routes, as `Annotated` aliases (TaskServiceDep, UserIdPath...).

One dependency per request does the work (measured: every dependency FastAPI resolves costs
CPU on every request): `open_task_service` opens the request's session and hands the route
a TaskService bound to the path user (the caller, checked by AuthenticatedRoute). Dependencies
are `async def`: FastAPI runs plain `def` dependencies in a thread pool, a thread hop per
request. The optional headers (If-Match, Idempotency-Key) are not FastAPI header parameters
either, also for CPU (a route's first header parameter cost ~80k instructions per request, 3%
of a create): AuthenticatedRoute reads them, and the routes publish them with `openapi_extra`.
"""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request

from todo_api.auth.principal import Principal
from todo_api.db.open_database import OpenDatabase
from todo_api.errors import AccessDenied
from todo_api.models.task import USER_ID_PATTERN
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


async def open_task_service(request: Request, user_id: UserIdPath) -> AsyncIterator[TaskService]:
    """The caller may only act on their own path: decided before any database work.

    AuthenticatedRoute has already authenticated the caller and compared the path user, before
    the body was read; this check keeps a route without it from reaching anyone's tasks.
    """
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or principal.user_id != user_id:
        raise AccessDenied()
    database: OpenDatabase = request.app.state.database
    async with database.sessions.autocommit_session() as session:
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
