"""Alembic environment: an engine from the database settings, or a connection handed in.
Every upgrade to head also stores the role defaults (role_defaults.py) in its transaction."""

import asyncio
import logging.config
from collections.abc import Collection
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy.engine import Connection

from todo_api.config import DatabaseSettings
from todo_api.db.engine import create_engine
from todo_api.db.migrations import run_in_one_transaction
from todo_api.db.role_defaults import store_role_defaults
from todo_api.models import metadata


def _run_on(connection: Connection, settings: DatabaseSettings) -> None:
    applied: list[str] | None = context.config.attributes.get("applied")

    def record(
        ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Any
    ) -> None:
        if applied is None or not step.is_upgrade or step.up_revision_id is None:
            return
        script = context.script.get_revision(step.up_revision_id)
        applied.append(f"{step.up_revision_id} ({script.doc if script else ''})")

    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        on_version_apply=record,
    )
    with context.begin_transaction():
        context.run_migrations()
        if _upgrading_to_head():
            store_role_defaults(connection, settings)


def _upgrading_to_head() -> bool:
    """`upgrade head` (or to the head's id); not `current`, `downgrade` or `stamp`."""
    options = context.get_context().opts
    destination = options.get("destination_rev")
    if options.get("dont_mutate") or destination is None:
        return False
    script = context.script
    return set(script.get_revisions(destination)) == set(script.get_revisions("heads"))


async def _run_with_own_engine(settings: DatabaseSettings) -> None:
    engine = create_engine(settings)
    try:
        await run_in_one_transaction(engine, lambda connection: _run_on(connection, settings))
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    settings = context.config.attributes.get("settings") or DatabaseSettings()
    # The app's start-up and the tests pass their own connection, already inside a loop.
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run_on(connection, settings)
        return
    if context.config.config_file_name:  # the `alembic` command: alembic.ini's logging
        logging.config.fileConfig(context.config.config_file_name, disable_existing_loggers=False)
    asyncio.run(_run_with_own_engine(settings))


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
