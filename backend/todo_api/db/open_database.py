"""The database as the app holds it from start-up to shutdown."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from todo_api.config import Settings
from todo_api.db.connection_deadline import ConnectionDeadlines
from todo_api.db.engine import create_engine
from todo_api.db.migrations import migrate_database
from todo_api.db.readiness import DatabaseHealth, Readiness
from todo_api.db.role_defaults import warn_unless_role_defaults_in_force
from todo_api.db.schema_state import packaged_revisions
from todo_api.db.sessions import RequestSessions


@dataclass(frozen=True)
class OpenDatabase:
    engine: AsyncEngine
    sessions: RequestSessions
    readiness: Readiness


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[OpenDatabase]:
    engine = create_engine(settings)
    deadlines = ConnectionDeadlines(engine)
    health = DatabaseHealth(settings.shown_database_url)
    secrets = settings.secret_values()
    readiness = Readiness(engine, deadlines, health, secrets, packaged_revisions())
    timeout = settings.db_request_timeout_seconds
    sessions = RequestSessions(engine, deadlines, health, secrets, timeout)
    try:
        if settings.is_sqlite or settings.migrate_on_start:
            # PostgreSQL is migrated by the release step unless MIGRATE_ON_START opts in here.
            await migrate_database(engine, settings)
        # One line if the database is unreachable or behind; the limits matter once it is ready.
        elif await readiness.is_ready():
            await warn_unless_role_defaults_in_force(engine, settings)
        yield OpenDatabase(engine, sessions, readiness)
    finally:
        await readiness.cancel_probes()
        await engine.dispose()
