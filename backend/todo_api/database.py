"""The database handle: one engine per process, one session per request."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_api.config import Settings
from todo_api.connection_deadline import ConnectionDeadlines
from todo_api.engine import create_engine
from todo_api.errors import BackendUnavailable

logger = logging.getLogger(__name__)

# Errors that mean "the database is not answering", as opposed to a bug in a statement.
_UNAVAILABLE_ERRORS = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.TimeoutError,  # no pool connection free within the pool timeout
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
        # SQLite is a local file: its waits are bounded by its busy timeout instead.
        self._deadlines = None if settings.is_sqlite else ConnectionDeadlines(self.engine)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """The request's session; its connection goes back to the pool when the body ends.

        The engine runs in autocommit, so each statement is its own transaction, durable
        when it returns, at one round trip. Every service operation writes with at most one
        statement (conditional writes and the toggle included), which keeps a request all
        or nothing without a BEGIN/COMMIT pair around it.

        The whole body runs under one deadline, so a database that stops answering
        mid-request costs a bounded wait and a 503, never a hung request.
        """
        session = self._sessions()
        try:
            with self._deadline(self._request_timeout):
                yield session
        except BaseException as error:
            await self._discard(session, error)
            if is_unavailable_error(error):
                raise BackendUnavailable("The database is not available; retry shortly.") from error
            raise
        await session.close()

    async def is_ready(self, timeout_seconds: float) -> bool:
        try:
            with self._deadline(timeout_seconds):
                async with self.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except Exception as error:
            if not is_unavailable_error(error):
                logger.exception("readiness check failed unexpectedly")
            return False
        return True

    def _deadline(self, seconds: float) -> contextlib.AbstractContextManager[None]:
        if self._deadlines is None:
            return contextlib.nullcontext()
        return self._deadlines.bound(seconds)

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
