"""Looking at (and being rough with) a test database's server-side sessions, and migrating it."""

import asyncio
import threading

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.databases import postgres_server_url
from todo_api.db.migrations import migrate_database

_OTHER_SESSIONS = (
    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
    "AND backend_type = 'client backend'"
)
_TERMINATE_OTHER_SESSIONS = (
    "SELECT pid, pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
    "WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)


WAITING_ON_A_LOCK = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND wait_event_type = 'Lock'"
)


def database_name(url: str) -> str:
    name = make_url(url).database
    assert name, f"no database name in {url!r}"
    return name


def with_host_and_port(url: str, host: str, port: int) -> str:
    """The same database URL, reached through another host and port (e.g. a proxy)."""
    return make_url(url).set(host=host, port=port).render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+psycopg://...`) in the form psycopg itself accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def migrate(url: str) -> None:
    await migrate_database(create_async_engine(url))  # which disposes of the engine


def migrate_blocking(url: str) -> None:
    """`migrate`, for synchronous code that may itself be running under an event loop."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(migrate(url))
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=run, name="migrate")
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "migration did not finish within 60 s"
    if errors:
        raise errors[0]


async def session_pids(database: str) -> list[int]:
    """Server process ids of every client session connected to `database` (but ours)."""
    async with await psycopg.AsyncConnection.connect(
        postgres_server_url(), autocommit=True, connect_timeout=3
    ) as admin:
        rows = await (await admin.execute(_OTHER_SESSIONS, (database,))).fetchall()
    return [int(row[0]) for row in rows]


async def terminate_sessions(database: str) -> list[int]:
    """`pg_terminate_backend` every client session on `database`; the pids that were ended."""
    async with await psycopg.AsyncConnection.connect(
        postgres_server_url(), autocommit=True, connect_timeout=3
    ) as admin:
        rows = await (await admin.execute(_TERMINATE_OTHER_SESSIONS, (database,))).fetchall()
    return [int(pid) for pid, terminated in rows if terminated]
