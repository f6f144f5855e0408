"""A downgrade, which the service itself never runs."""

from alembic import command
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from todo_api.db.migrations import alembic_config, run_in_one_transaction


async def downgrade_to_base(engine: AsyncEngine) -> None:
    def downgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes.update(connection=connection)
        command.downgrade(config, "base")

    await run_in_one_transaction(engine, downgrade)
