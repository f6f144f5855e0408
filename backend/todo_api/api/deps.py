"""Dependencies of the task routes, as `Annotated` aliases; `async def`, since FastAPI runs a
plain `def` dependency in a thread pool."""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request

from todo_api.db.open_database import OpenDatabase
from todo_api.models.task import USER_ID_PATTERN, USER_ID_RULE
from todo_api.repositories.task_repository import TaskRepository
from todo_api.services.task_service import TaskService

UserIdPath = Annotated[
    str,
    Path(
        # Documented, not checked again: HeadFirstRoute let through only the caller's own id,
        # which the token check already held to the pattern.
        json_schema_extra={"pattern": USER_ID_PATTERN},
        description=f"The Better Auth user id: {USER_ID_RULE}.",
        examples=["PkT4IjEnSg188RUyeRggOZiHz5miNZE2"],
    ),
]
TaskIdPath = Annotated[uuid.UUID, Path(description="The task's id (a UUID).")]


async def open_task_service(request: Request, user_id: UserIdPath) -> AsyncIterator[TaskService]:
    """The path user's tasks: HeadFirstRoute has let only that user's token this far."""
    database: OpenDatabase = request.app.state.database
    async with database.sessions.autocommit_session() as session:
        yield TaskService(TaskRepository(session, user_id))


# scope="function": the session closes when the handler returns, before the response is
# sent, so its connection is back in the pool while the response goes out.
TaskServiceDep = Annotated[TaskService, Depends(open_task_service, scope="function")]
