"""Business rules for tasks. Stateless: everything it knows arrives with each call."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from todo_api.errors import PreconditionFailed, TaskNotFound
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

    async def create_task(self, data: TaskCreate) -> TaskPublic:
        return await self._tasks.create(data)

    async def replace_task(
        self, task_id: uuid.UUID, data: TaskUpdate, *, if_match: Sequence[datetime] | None = None
    ) -> TaskPublic:
        task = await self._tasks.replace(task_id, data, expected_versions=if_match)
        if task is None:
            raise await self._why_not_matched(task_id, if_match)
        return task

    async def toggle_completion(self, task_id: uuid.UUID) -> TaskPublic:
        task = await self._tasks.toggle_completed(task_id)
        if task is None:
            raise TaskNotFound()
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
