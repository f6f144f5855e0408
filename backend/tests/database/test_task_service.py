"""TaskService over a real TaskRepository and database (both engines)."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from tests.conftest import ALICE, BOB
from todo_api.db.sessions import RequestSessions
from todo_api.errors import IdempotencyKeyInUse, PreconditionFailed, TaskNotFound
from todo_api.repositories.task_repository import TaskRepository
from todo_api.schemas.task import TaskCreate, TaskUpdate
from todo_api.services.task_service import TaskService

ServiceFor = Callable[[str], AbstractAsyncContextManager[TaskService]]


@pytest.fixture
def service_for(clean_app: FastAPI) -> ServiceFor:
    sessions: RequestSessions = clean_app.state.database.sessions

    @asynccontextmanager
    async def open_service(user_id: str) -> AsyncIterator[TaskService]:
        async with sessions.autocommit_session() as session:
            yield TaskService(TaskRepository(session, user_id))

    return open_service


async def test_list_total_is_right_on_every_page(
    service_for: ServiceFor,
) -> None:
    async with service_for(ALICE) as service:
        for n in range(3):
            await service.create_task(TaskCreate(title=f"t{n}"))
    async with service_for(ALICE) as service:
        assert (await service.list_tasks(completed=None, limit=10, offset=0)).total == 3
        assert (await service.list_tasks(completed=None, limit=2, offset=0)).total == 3
        assert (await service.list_tasks(completed=None, limit=2, offset=2)).total == 3
        past_end = await service.list_tasks(completed=None, limit=2, offset=5)
        assert (past_end.items, past_end.total) == ([], 3)
        assert (await service.list_tasks(completed=True, limit=10, offset=0)).total == 0


async def test_a_repository_bound_to_one_user_cannot_reach_another_users_task(
    service_for: ServiceFor,
) -> None:
    async with service_for(ALICE) as alice:
        task = await alice.create_task(TaskCreate(title="alice's"))
    replacement = TaskUpdate(title="stolen", description=None, is_completed=True)
    async with service_for(BOB) as bob:
        with pytest.raises(TaskNotFound):
            await bob.get_task(task.id)
        with pytest.raises(TaskNotFound):
            await bob.replace_task(task.id, replacement)
        with pytest.raises(TaskNotFound):
            await bob.toggle_completion(task.id)
        with pytest.raises(TaskNotFound):
            await bob.delete_task(task.id)
        assert (await bob.list_tasks(completed=None, limit=10, offset=0)).items == []
    async with service_for(ALICE) as alice:
        assert await alice.get_task(task.id) == task


async def test_conditional_replace_tells_stale_from_missing(service_for: ServiceFor) -> None:
    async with service_for(ALICE) as service:
        task = await service.create_task(TaskCreate(title="v1"))
        toggled = await service.toggle_completion(task.id)
        update = TaskUpdate(title="v2", description=None, is_completed=False)
        with pytest.raises(PreconditionFailed):
            await service.replace_task(task.id, update, if_match=[task.updated_at])
        with pytest.raises(TaskNotFound):
            await service.replace_task(uuid.uuid4(), update, if_match=[task.updated_at])
        replaced = await service.replace_task(task.id, update, if_match=[toggled.updated_at])
        assert replaced.title == "v2"


async def test_a_write_the_database_refuses_leaves_nothing_behind(
    service_for: ServiceFor,
) -> None:
    # A blank title gets past no schema; built unvalidated, it reaches the table's CHECK.
    blank = TaskCreate.model_construct(title="   ", description=None, is_completed=False)
    with pytest.raises(IntegrityError):
        async with service_for(ALICE) as service:
            await service.create_task(blank)
    async with service_for(ALICE) as service:
        assert (await service.list_tasks(completed=None, limit=10, offset=0)).total == 0


async def test_a_write_is_committed_when_its_statement_returns(service_for: ServiceFor) -> None:
    """One statement per operation, each its own transaction: what the service returned is
    stored, whatever happens to the request afterwards."""

    async def create_then_fail() -> None:
        async with service_for(ALICE) as service:
            await service.create_task(TaskCreate(title="stored"))
            raise RuntimeError("after the write")

    with pytest.raises(RuntimeError):
        await create_then_fail()
    async with service_for(ALICE) as service:
        page = await service.list_tasks(completed=None, limit=10, offset=0)
    assert [task.title for task in page.items] == ["stored"]


class RacedByDeletes(TaskRepository):
    """Each time a create reads its key's task, the task was deleted just before; while races
    remain, another request with the same key creates it again just after."""

    def __init__(self, session: Any, user_id: str, *, races: int) -> None:
        super().__init__(session, user_id)
        self.races = races

    async def created_with_key(self, idempotency_key: str) -> Any:
        found = await super().created_with_key(idempotency_key)
        assert found is not None
        await self.delete(found[0].id, expected_versions=None)
        self.races -= 1
        if self.races:
            await self.create_unless_key_taken(
                TaskCreate(title="stand-in"),
                idempotency_key=idempotency_key,
                request_fingerprint="stand-in",
            )
        return None


async def test_a_key_freed_by_a_delete_meanwhile_is_used_again(clean_app: FastAPI) -> None:
    sessions: RequestSessions = clean_app.state.database.sessions
    data = TaskCreate(title="raced")
    async with sessions.autocommit_session() as session:
        first = await TaskService(TaskRepository(session, ALICE)).create_task(
            data, idempotency_key="k"
        )
    async with sessions.autocommit_session() as session:
        again = await TaskService(RacedByDeletes(session, ALICE, races=1)).create_task(
            data, idempotency_key="k"
        )
    assert (again.title, again.id != first.id) == ("raced", True)


async def test_a_key_that_never_settles_is_in_use(clean_app: FastAPI) -> None:
    sessions: RequestSessions = clean_app.state.database.sessions
    data = TaskCreate(title="raced")
    async with sessions.autocommit_session() as session:
        await TaskService(TaskRepository(session, ALICE)).create_task(data, idempotency_key="k")
    async with sessions.autocommit_session() as session:
        with pytest.raises(IdempotencyKeyInUse):
            await TaskService(RacedByDeletes(session, ALICE, races=2)).create_task(
                data, idempotency_key="k"
            )
