"""Alembic migrations, applied from inside the app through `env.py` as `alembic upgrade head`
does; the scripts live in this folder, so an installed wheel carries them."""

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


async def migrate_database(
    engine: AsyncEngine, settings: DatabaseSettings | None = None
) -> list[str]:
    """The schema to head, and with it the role's limits (env.py stores them; without
    `settings`, from the environment). Returns the revisions applied, as "<rev> (<message>)".
    The pool is emptied afterwards: sessions opened before would keep the old limits."""
    applied: list[str] = []

    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes.update(connection=connection, settings=settings, applied=applied)
        command.upgrade(config, "head")

    try:
        await run_in_one_transaction(engine, upgrade)
    finally:
        await engine.dispose()
    return applied


async def run_in_one_transaction(engine: AsyncEngine, work: Callable[[Connection], None]) -> None:
    """All of `work` is committed, or none of it: the service's engine runs in autocommit, a
    migration at the database's own default isolation level."""
    async with engine.connect() as connection:
        await connection.execution_options(
            isolation_level=connection.dialect.default_isolation_level
        )
        async with connection.begin():
            await connection.run_sync(work)
