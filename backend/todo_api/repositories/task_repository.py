"""Data access for one user's tasks: every statement is filtered by the repository's user id
(`:owner`, filled only in `_run`). Each operation is one statement, which the autocommit
session commits (db/sessions.py)."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Executable, Result
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_api.repositories import task_statements as sql
from todo_api.schemas.task import TASK_LIST, TaskCreate, TaskPublic, TaskUpdate


def _as_dict(row: Sequence[Any]) -> dict[str, Any]:
    # Zipping the row's values with known keys validates much faster than reading the
    # row's attributes (specs/performance.md).
    return dict(zip(sql.PUBLIC_FIELDS, row, strict=True))


class TaskRepository:
    def __init__(self, session: AsyncSession, user_id: str) -> None:
        self._session = session
        self._user_id = user_id

    async def list_with_total(
        self, *, completed: bool | None, limit: int, offset: int
    ) -> tuple[list[TaskPublic], int | None]:
        """One page, newest first, and the total of matching tasks, which is None when the
        page is empty (no row carries it): `count` tells it then."""
        statement = sql.PAGE if completed is None else sql.PAGE_BY_COMPLETION
        result = await self._run(statement, completed=completed, limit=limit, offset=offset)
        rows = result.all()
        if not rows:
            return [], None
        tasks = TASK_LIST.validate_python([_as_dict(row[:-1]) for row in rows])
        return tasks, int(rows[0][-1])

    async def count(self, *, completed: bool | None) -> int:
        statement = sql.COUNT if completed is None else sql.COUNT_BY_COMPLETION
        return int((await self._run(statement, completed=completed)).scalar_one())

    async def get(self, task_id: uuid.UUID) -> TaskPublic | None:
        return self._one_or_none(await self._run(sql.GET, task_id=task_id))

    async def exists(self, task_id: uuid.UUID) -> bool:
        return (await self._run(sql.EXISTS, task_id=task_id)).first() is not None

    async def create(self, data: TaskCreate) -> TaskPublic:
        result = await self._session.exec(sql.INSERT, params=self._new_row(data))
        return TaskPublic.model_validate(_as_dict(result.one()))

    async def create_unless_key_taken(
        self, data: TaskCreate, *, idempotency_key: str, request_fingerprint: str
    ) -> TaskPublic | None:
        """Create the task with its key; None, writing nothing, if the key is taken."""
        statement = sql.INSERT_UNLESS_KEY_TAKEN[self._session.get_bind().dialect.name]
        result = await self._run(
            statement,
            **self._new_row(data),
            idempotency_key=idempotency_key,
            request_fingerprint=request_fingerprint,
        )
        return self._one_or_none(result)

    async def created_with_key(self, idempotency_key: str) -> tuple[TaskPublic, str | None] | None:
        """The task a create with this key made, and the fingerprint of that request."""
        row = (await self._run(sql.CREATED_WITH_KEY, idempotency_key=idempotency_key)).first()
        if row is None:
            return None
        return TaskPublic.model_validate(_as_dict(row[:-1])), row[-1]

    async def replace(
        self, task_id: uuid.UUID, data: TaskUpdate, *, expected_versions: Sequence[datetime] | None
    ) -> TaskPublic | None:
        """Overwrite every writable field; None when no row matched (missing or stale)."""
        statement = sql.REPLACE if expected_versions is None else sql.REPLACE_IF_VERSION
        result = await self._run(
            statement,
            task_id=task_id,
            versions=expected_versions,
            new_title=data.title,
            new_description=data.description,
            new_is_completed=data.is_completed,
            now=datetime.now(UTC),
        )
        return self._one_or_none(result)

    async def toggle_completed(
        self, task_id: uuid.UUID, *, expected_versions: Sequence[datetime] | None
    ) -> TaskPublic | None:
        statement = sql.TOGGLE if expected_versions is None else sql.TOGGLE_IF_VERSION
        result = await self._run(
            statement, task_id=task_id, versions=expected_versions, now=datetime.now(UTC)
        )
        return self._one_or_none(result)

    async def delete(
        self, task_id: uuid.UUID, *, expected_versions: Sequence[datetime] | None
    ) -> bool:
        statement = sql.DELETE if expected_versions is None else sql.DELETE_IF_VERSION
        result = await self._run(statement, task_id=task_id, versions=expected_versions)
        return result.first() is not None

    async def _run(self, statement: Executable, **values: Any) -> Result[Any]:
        # SQLAlchemy ignores parameters a statement does not name: callers pass what any of
        # their variants needs (e.g. `versions`).
        # sqlmodel types exec() for at most four selected columns; at run time it takes any
        # statement, like SQLAlchemy's execute() (which sqlmodel marks deprecated).
        result: Result[Any] = await self._session.exec(  # type: ignore[call-overload]
            statement, params={**values, "owner": self._user_id}
        )
        return result

    def _new_row(self, data: TaskCreate) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {
            "id": uuid.uuid4(),
            "user_id": self._user_id,
            "title": data.title,
            "description": data.description,
            "is_completed": data.is_completed,
            "created_at": now,
            "updated_at": now,
        }

    @staticmethod
    def _one_or_none(result: Result[Any]) -> TaskPublic | None:
        row = result.first()
        return None if row is None else TaskPublic.model_validate(_as_dict(row))
