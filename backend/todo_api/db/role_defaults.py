"""Server-side limits stored as defaults of the database role, for this database only: a
per-connection `SET` does not survive a transaction pooler, a role default applies to every
new server session. Every upgrade to head stores them; start-up checks they are in force."""

import logging

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from todo_api.config import DatabaseSettings

logger = logging.getLogger(__name__)

# A transaction left open by a crashed client must not hold its locks for long.
IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000
_NOT_IN_FORCE = (
    "the database's %s is %s ms, not the configured %s ms: "
    "run `todo-api migrate` to store it as a default of the database role"
)


def role_defaults(settings: DatabaseSettings) -> dict[str, str]:
    return {
        "statement_timeout": str(settings.db_statement_timeout_ms),
        "idle_in_transaction_session_timeout": str(IDLE_IN_TRANSACTION_TIMEOUT_MS),
    }


def store_role_defaults(connection: Connection, settings: DatabaseSettings) -> None:
    """In the caller's transaction (the migration's: committed with the schema). Sessions
    already open (a pooler's server connections) keep their old values until they reconnect."""
    if connection.dialect.name != "postgresql":
        return
    database = connection.execute(text("SELECT current_database()")).scalar_one()
    quoted_database = connection.dialect.identifier_preparer.quote(database)
    for name, value in role_defaults(settings).items():
        # Names are ours and values validated integers: nothing from outside is spliced.
        connection.execute(
            text(f"ALTER ROLE CURRENT_USER IN DATABASE {quoted_database} SET {name} = {value}")
        )


async def warn_unless_role_defaults_in_force(
    engine: AsyncEngine, settings: DatabaseSettings
) -> None:
    if engine.dialect.name != "postgresql":
        return
    expected = role_defaults(settings)
    # pg_settings gives both limits in one round trip, in milliseconds without a unit.
    query = text("SELECT name, setting FROM pg_settings WHERE name = ANY(:names)")
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(query, {"names": list(expected)})).all()
    except Exception as error:  # it answered the readiness probe a moment ago
        logger.warning("could not check the database's limits: %s", type(error).__name__)
        return
    for name, current in rows:
        if current != expected[name]:
            logger.warning(_NOT_IN_FORCE, name, current, expected[name])
