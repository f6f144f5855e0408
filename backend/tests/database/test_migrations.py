"""Migrations go up, down and up again on both databases, and match the models exactly."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import make_settings
from tests.support.databases import fresh_postgres_database_or_skip, sqlite_url
from tests.support.downgrade import downgrade_to_base
from todo_api.db.engine import create_engine
from todo_api.db.migrations import (
    alembic_config,
    migrate_database,
    run_in_one_transaction,
)
from todo_api.models import metadata


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        engine = create_engine(make_settings(sqlite_url(tmp_path)))
        yield engine
        await engine.dispose()
        return
    with fresh_postgres_database_or_skip() as url:
        engine = create_engine(make_settings(url))
        yield engine
        await engine.dispose()


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def schema_drift(engine: AsyncEngine) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with engine.connect() as connection:
        return await connection.run_sync(compare)


async def test_upgrade_downgrade_upgrade(empty_engine: AsyncEngine) -> None:
    await migrate_database(empty_engine)
    assert {"tasks", "alembic_version"} <= await table_names(empty_engine)
    await downgrade_to_base(empty_engine)
    assert "tasks" not in await table_names(empty_engine)
    await migrate_database(empty_engine)
    assert "tasks" in await table_names(empty_engine)


async def test_models_and_migrations_do_not_drift(empty_engine: AsyncEngine) -> None:
    await migrate_database(empty_engine)
    assert await schema_drift(empty_engine) == []


async def test_drift_check_notices_a_missing_index(empty_engine: AsyncEngine) -> None:
    # Guards the guard: the comparison above must be able to fail.
    await migrate_database(empty_engine)
    async with empty_engine.begin() as connection:
        await connection.exec_driver_sql("DROP INDEX idx_task_user_created")
    assert await schema_drift(empty_engine) != []


async def columns_and_indexes(engine: AsyncEngine) -> tuple[set[str], set[str]]:
    def read(sync: Connection) -> tuple[set[str], set[str]]:
        inspector = inspect(sync)
        columns = {column["name"] for column in inspector.get_columns("tasks")}
        return columns, {str(index["name"]) for index in inspector.get_indexes("tasks")}

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def test_0002_adds_and_removes_the_idempotency_key_and_keeps_the_tasks(
    empty_engine: AsyncEngine,
) -> None:
    await migrate_database(empty_engine)
    async with empty_engine.begin() as connection:
        await connection.exec_driver_sql(
            "INSERT INTO tasks (id, user_id, title, is_completed, created_at, updated_at, "
            "idempotency_key, request_fingerprint) VALUES ('0b6c1f9e5a2d4c3b8e7f6a5b4c3d2e1f', "
            "'alice', 'kept', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'k', 'f')"
        )
    key_columns = {"idempotency_key", "request_fingerprint"}
    columns, indexes = await columns_and_indexes(empty_engine)
    assert key_columns <= columns
    assert "uq_task_user_idempotency_key" in indexes

    def to_0001(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")

    await run_in_one_transaction(empty_engine, to_0001)
    columns, indexes = await columns_and_indexes(empty_engine)
    assert not key_columns & columns
    assert indexes == {"idx_task_user_created"}
    async with empty_engine.connect() as connection:
        titles = (await connection.exec_driver_sql("SELECT title FROM tasks")).scalars().all()
    assert titles == ["kept"]
    await migrate_database(empty_engine)
    assert await schema_drift(empty_engine) == []
