"""Apply Alembic migrations from inside the running app (embedded mode, tests, the CLI).

The Alembic scripts (`env.py`, `versions/`) live in this package's folder, so an installed
wheel carries them and finds them from wherever it is run. Everything goes through that
`env.py`, as `alembic upgrade head` from a checkout does, so both leave the same database.
"""

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from todo_api.config import DatabaseSettings

_SCRIPT_LOCATION = Path(__file__).resolve().parent


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPT_LOCATION))
    return config


async def migrate_database(engine: AsyncEngine, settings: DatabaseSettings) -> list[str]:
    """What `todo-api migrate` does: the schema to head, and with it the role's server-side
    limits (env.py stores them). Returns the revisions applied, as "<rev> (<message>)".

    The engine's pooled connections are closed afterwards: sessions opened before the role
    defaults were stored would keep the old limits.
    """
    applied = await upgrade_to_head(engine, settings)
    await engine.dispose()
    return applied


async def upgrade_to_head(
    engine: AsyncEngine, settings: DatabaseSettings | None = None
) -> list[str]:
    """The schema to head; without `settings`, env.py reads them from the environment."""
    applied: list[str] = []
    await _run(
        engine,
        lambda config: command.upgrade(config, "head"),
        settings=settings,
        applied=applied,
    )
    return applied


async def downgrade_to_base(engine: AsyncEngine) -> None:
    await _run(engine, lambda config: command.downgrade(config, "base"))


async def _run(
    engine: AsyncEngine,
    action: Callable[[Config], None],
    *,
    settings: DatabaseSettings | None = None,
    applied: list[str] | None = None,
) -> None:
    def run_sync(connection: Connection) -> None:
        config = alembic_config()
        config.attributes.update(connection=connection, settings=settings, applied=applied)
        action(config)

    await run_in_one_transaction(engine, run_sync)


async def run_in_one_transaction(engine: AsyncEngine, work: Callable[[Connection], None]) -> None:
    """Run `work` in one transaction: all of it is committed, or none of it.

    The service's PostgreSQL engine runs in autocommit (one statement per request); a
    migration runs at the database's own default isolation level instead.
    """
    async with engine.connect() as connection:
        await connection.execution_options(
            isolation_level=connection.dialect.default_isolation_level
        )
        async with connection.begin():
            await connection.run_sync(work)
