"""Alembic environment: async engine from the app's settings, or a connection handed in."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from todo_api.config import Settings
from todo_api.engine import create_engine
from todo_api.migrations import run_in_one_transaction
from todo_api.models import metadata


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    engine = create_engine(Settings())
    try:
        await run_in_one_transaction(engine, _run_on)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    # The app's start-up and the tests pass their own connection, already inside a loop.
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
    else:
        asyncio.run(_run_with_own_engine())


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
