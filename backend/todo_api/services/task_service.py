"""Business rules for tasks. Stateless: everything it knows arrives with each call."""

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from todo_api.errors import (
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    PreconditionFailed,
    TaskNotFound,
)
from todo_api.repositories.task_repository import TaskRepository
from todo_api.schemas.task import TaskCreate, TaskPublic, TaskUpdate


@dataclass(frozen=True, slots=True)
class TaskPage:
    items: list[TaskPublic]
    total: int


class TaskService:
    def __init__(self, repository: TaskRepository) -> None:
        self._tasks = repository

    async def list_tasks(self, *, completed: bool | None, limit: int, offset: int) -> TaskPage:
        items, total = await self._tasks.list_with_total(
            completed=completed, limit=limit, offset=offset
        )
        if total is None:  # an empty page: no tasks at all, or a page past the end
            total = 0 if offset == 0 else await self._tasks.count(completed=completed)
        return TaskPage(items=items, total=total)

    async def get_task(self, task_id: uuid.UUID) -> TaskPublic:
        task = await self._tasks.get(task_id)
        if task is None:
            raise TaskNotFound()
        return task

    async def create_task(
        self, data: TaskCreate, *, idempotency_key: str | None = None
    ) -> TaskPublic:
        """With a key, at most one task per key: a repeat with the same request gets the task
        the first one made, as it is now; with another, IdempotencyKeyReused. A key is
        remembered as long as its task exists."""
        if idempotency_key is None:
            return await self._tasks.create(data)
        fingerprint = request_fingerprint(data)
        # A second go only if the key's task was deleted between the two looks: the key is
        # free again, as for any retry that comes after a delete.
        for _ in range(2):
            task = await self._tasks.create_unless_key_taken(
                data, idempotency_key=idempotency_key, request_fingerprint=fingerprint
            )
            if task is not None:
                return task
            earlier = await self._tasks.created_with_key(idempotency_key)
            if earlier is not None:
                task, earlier_fingerprint = earlier
                if earlier_fingerprint != fingerprint:
                    raise IdempotencyKeyReused()
                return task
        raise IdempotencyKeyInUse()

    async def replace_task(
        self, task_id: uuid.UUID, data: TaskUpdate, *, if_match: Sequence[datetime] | None = None
    ) -> TaskPublic:
        task = await self._tasks.replace(task_id, data, expected_versions=if_match)
        if task is None:
            raise await self._why_not_matched(task_id, if_match)
        return task

    async def toggle_completion(
        self, task_id: uuid.UUID, *, if_match: Sequence[datetime] | None = None
    ) -> TaskPublic:
        task = await self._tasks.toggle_completed(task_id, expected_versions=if_match)
        if task is None:
            raise await self._why_not_matched(task_id, if_match)
        return task

    async def delete_task(
        self, task_id: uuid.UUID, *, if_match: Sequence[datetime] | None = None
    ) -> None:
        if not await self._tasks.delete(task_id, expected_versions=if_match):
            raise await self._why_not_matched(task_id, if_match)

    async def _why_not_matched(
        self, task_id: uuid.UUID, if_match: Sequence[datetime] | None
    ) -> TaskNotFound | PreconditionFailed:
        """A conditional write matched no row: the task is gone, or it changed meanwhile."""
        if if_match is not None and await self._tasks.exists(task_id):
            return PreconditionFailed()
        return TaskNotFound()


def request_fingerprint(data: TaskCreate) -> str:
    """Tells requests apart by the task they describe, not by their bytes: white space,
    key order or a default spelled out do not make another request."""
    return hashlib.sha256(data.__pydantic_serializer__.to_json(data)).hexdigest()
