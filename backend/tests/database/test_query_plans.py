"""On PostgreSQL, every statement the repository sends is served by an index, never a
sequential scan, on a table large enough for the planner to care (20,000 rows, 50 users)."""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import make_settings
from tests.support.databases import fresh_postgres_database_or_skip
from todo_api.db.open_database import OpenDatabase, open_database
from todo_api.repositories.task_repository import TaskRepository
from todo_api.schemas.task import TaskCreate, TaskUpdate

USER = "user_7"
SEED = """
INSERT INTO tasks (id, user_id, title, description, is_completed, created_at, updated_at)
SELECT gen_random_uuid(), 'user_' || (n %% 50), 'task ' || n, NULL, n %% 3 = 0,
       now() - n * interval '1 second', now() - n * interval '1 second'
FROM generate_series(1, 20000) AS n
"""


@pytest.fixture(scope="module")
async def database() -> AsyncIterator[OpenDatabase]:
    with fresh_postgres_database_or_skip() as url:
        async with open_database(make_settings(url, migrate_on_start=True)) as database:
            async with database.engine.begin() as connection:
                await connection.exec_driver_sql(SEED)
                await connection.exec_driver_sql("ANALYZE tasks")
            yield database


async def statements_sent_by_every_repository_method(
    database: OpenDatabase,
) -> list[tuple[str, Any]]:
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with database.sessions.autocommit_session() as session:
            tasks = TaskRepository(session, USER)
            created = await tasks.create(TaskCreate(title="planned"))
            await tasks.list_with_total(completed=None, limit=50, offset=0)
            await tasks.list_with_total(completed=True, limit=50, offset=100)
            await tasks.count(completed=None)
            await tasks.count(completed=False)
            await tasks.get(created.id)
            await tasks.exists(uuid.uuid4())
            update = TaskUpdate(title="re-planned", description=None, is_completed=True)
            await tasks.replace(created.id, update, expected_versions=[created.updated_at])
            await tasks.toggle_completed(created.id, expected_versions=None)
            await tasks.toggle_completed(created.id, expected_versions=[created.updated_at])
            keyed = TaskCreate(title="keyed")
            for _ in range(2):  # the second finds the key taken
                await tasks.create_unless_key_taken(
                    keyed, idempotency_key="plan-key", request_fingerprint="0" * 64
                )
            await tasks.created_with_key("plan-key")
            await tasks.delete(created.id, expected_versions=None)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
    return [
        (sql, params) for sql, params in captured if not sql.lstrip().upper().startswith("INSERT")
    ]


def plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes.extend(plan_nodes(child))
    return nodes


async def explain(engine: AsyncEngine, statement: str, parameters: Any) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        result = await connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
        document = result.scalar_one()
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
    return plan_nodes(plan)


async def test_every_repository_statement_uses_an_index(database: OpenDatabase) -> None:
    statements = await statements_sent_by_every_repository_method(database)
    assert len(statements) == 11
    for statement, parameters in statements:
        nodes = await explain(database.engine, statement, parameters)
        node_types = [node["Node Type"] for node in nodes]
        assert "Seq Scan" not in node_types, (statement, node_types)
        indexes = {node.get("Index Name") for node in nodes} - {None}
        assert indexes, (statement, node_types)
        if "ORDER BY" in statement or "count(" in statement:
            assert indexes == {"idx_task_user_created"}, (statement, indexes)
        if "idempotency_key =" in statement:
            assert indexes == {"uq_task_user_idempotency_key"}, (statement, indexes)


async def test_the_plan_check_would_see_a_sequential_scan(database: OpenDatabase) -> None:
    # Guards the guard: a filter no index serves must show up as a Seq Scan.
    nodes = await explain(database.engine, "SELECT id FROM tasks WHERE title = %(t)s", {"t": "x"})
    assert "Seq Scan" in [node["Node Type"] for node in nodes]
