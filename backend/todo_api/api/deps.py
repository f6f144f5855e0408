"""Dependencies shared by the routes, as `Annotated` aliases (SessionDep, TaskServiceDep...).

Every dependency is `async def`, even when it awaits nothing: FastAPI runs plain `def`
dependencies in a thread pool, a thread hop per request that costs more than the work.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_api.api.etag import IF_MATCH_PATTERN, parse_if_match
from todo_api.database import Database
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


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_session(
    database: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[AsyncSession]:
    async with database.unit_of_work() as session:
        yield session


# scope="function": the session closes when the handler returns, before the response is
# sent, so its connection is back in the pool while the response goes out.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_task_service(user_id: UserIdPath, session: SessionDep) -> TaskService:
    return TaskService(TaskRepository(session, user_id))


TaskServiceDep = Annotated[TaskService, Depends(get_task_service)]


async def get_if_match(
    if_match: Annotated[
        str,
        Header(
            description="Optional: the ETag from a GET; the write is refused with 412 if the "
            'task has changed since. Absent, or "*", means any version.',
            pattern=IF_MATCH_PATTERN,
        ),
    ] = "*",
) -> list[datetime] | None:
    return parse_if_match(if_match)


IfMatchDep = Annotated[list[datetime] | None, Depends(get_if_match)]


async def require_json_body(request: Request) -> None:
    """Refuse bodies in a format the API does not speak, before reading them."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPException(415, "Send the body as JSON with Content-Type: application/json.")
