"""The database handle: one engine per process, one unit of work (session) per request."""

import asyncio
import logging
import select
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from sqlalchemy import event, exc, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_api.config import Settings
from todo_api.errors import BackendUnavailable

logger = logging.getLogger(__name__)

# Errors that mean "the database is not answering", as opposed to a bug in a statement.
_UNAVAILABLE_ERRORS = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.TimeoutError,  # no pool connection free within the pool timeout
    TimeoutError,  # the request's database budget ran out
    ConnectionError,
)


def is_unavailable_error(error: BaseException) -> bool:
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, _UNAVAILABLE_ERRORS)


class Database:
    def __init__(self, settings: Settings) -> None:
        self.engine = create_engine(settings)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False, autoflush=False
        )
        self._request_timeout = settings.db_request_timeout_seconds

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the body succeeds, rolled back when it raises.

        The whole body runs under one deadline, so a database that stops answering
        mid-request costs a bounded wait and a 503, never a hung request.
        """
        session = self._sessions()
        try:
            async with asyncio.timeout(self._request_timeout):
                yield session
                await session.commit()
        except BaseException as error:
            await self._discard(session, error)
            if is_unavailable_error(error):
                raise BackendUnavailable("The database is not available; retry shortly.") from error
            raise
        await session.close()

    async def is_ready(self, timeout_seconds: float) -> bool:
        try:
            async with asyncio.timeout(timeout_seconds), self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            if not is_unavailable_error(error):
                logger.exception("readiness check failed unexpectedly")
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()

    @staticmethod
    async def _discard(session: AsyncSession, error: BaseException) -> None:
        # A connection that timed out or broke may be mid-protocol: a ROLLBACK on it could
        # hang or fail, so it is dropped from the pool instead.
        try:
            if is_unavailable_error(error) or isinstance(error, asyncio.CancelledError):
                await session.invalidate()
            else:
                await session.close()
        except Exception:
            logger.warning("discarding a failed session raised", exc_info=True)


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        return _create_sqlite_engine(settings)
    return _create_postgres_engine(settings)


def _create_postgres_engine(settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # Neon closes idle connections when it scales to zero: recycle before that, and drop
        # connections the server closed on checkout (below); pre-ping is optional.
        pool_recycle=settings.db_pool_recycle_seconds,
        pool_pre_ping=settings.db_pool_pre_ping,
        connect_args={"connect_timeout": settings.db_connect_timeout_seconds},
    )
    statement_timeout_ms = int(settings.db_statement_timeout_ms)

    @event.listens_for(engine.sync_engine, "checkout")
    def _refuse_closed_connection(_: DBAPIConnection, record: Any, __: Any) -> None:
        # Raising here makes the pool discard this connection and hand out another one.
        if _closed_by_server(record.driver_connection):
            raise exc.DisconnectionError("the server closed this pooled connection")

    @event.listens_for(engine.sync_engine, "connect")
    def _set_session_defaults(dbapi_connection: DBAPIConnection, _: Any) -> None:
        # Once per physical connection, not per request; a SET (unlike the `options`
        # startup parameter) also passes through Neon's pooled endpoint.
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET statement_timeout = {statement_timeout_ms}")
        cursor.execute("SET idle_in_transaction_session_timeout = 60000")
        cursor.close()
        dbapi_connection.commit()

    return engine


def _closed_by_server(connection: psycopg.AsyncConnection[Any]) -> bool:
    """True when the server has hung up on this idle pooled connection.

    Nothing is pending on an idle connection, so a readable socket means the server sent
    EOF or a FATAL message (restart, `pg_terminate_backend`, Neon scaling to zero). This is
    one non-blocking `select`, where a pre-ping would be a round trip on every checkout.
    """
    if connection.closed or connection.broken:
        return True
    readable, _, _ = select.select([connection.fileno()], [], [], 0)
    return bool(readable)


def _create_sqlite_engine(settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        settings.database_url, connect_args={"timeout": settings.db_pool_timeout_seconds}
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _set_pragmas(dbapi_connection: DBAPIConnection, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers proceed during a write; NORMAL sync is durable in WAL mode.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine
