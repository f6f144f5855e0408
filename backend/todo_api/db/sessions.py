"""Each request's session: autocommit, under one deadline, its failures named."""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_api.db.connection_deadline import ConnectionDeadlines
from todo_api.db.failure_cause import deadline_passed, diagnose
from todo_api.db.readiness import DatabaseHealth

logger = logging.getLogger("todo_api.database")


class RequestSessions:
    def __init__(
        self,
        engine: AsyncEngine,
        deadlines: ConnectionDeadlines,
        health: DatabaseHealth,
        secrets: Sequence[str],
        request_timeout_seconds: float,
    ) -> None:
        self._sessions = async_sessionmaker(
            engine, class_=AsyncSession, expire_on_commit=False, autoflush=False
        )
        self._deadlines = deadlines
        self._health = health
        self._secrets = secrets
        self._request_timeout = request_timeout_seconds

    @asynccontextmanager
    async def autocommit_session(self) -> AsyncIterator[AsyncSession]:
        """The request's session; its connection goes back to the pool when the body ends.

        The engine runs in autocommit, so each statement is its own transaction, durable
        when it returns, at one round trip. Every service operation writes with at most one
        statement, which keeps a request all or nothing without a BEGIN/COMMIT around it.

        The whole body runs under one deadline: a database that stops answering mid-request
        costs a bounded wait and a 503, never a hung request. A database behind the
        migrations is noticed from its statements' errors: a healthy request pays for no
        schema check.
        """
        session = self._sessions()
        try:
            with self._deadlines.bound(self._request_timeout) as deadline:
                yield session
        except BaseException as error:
            problem = diagnose(error, self._secrets)
            await _discard(
                session,
                invalidate=isinstance(error, asyncio.CancelledError)
                or (problem is not None and problem.kind == "unavailable"),
            )
            if problem is None:
                raise
            if deadline.passed:  # the cut connection looks lost: say what cut it
                problem = deadline_passed("DB_REQUEST_TIMEOUT_SECONDS", self._request_timeout)
            self._health.failing(problem)
            raise problem.as_error() from error
        await session.close()
        problem = self._health.problem
        # A request that worked shows the database answers again, but not that its schema
        # caught up (it may have touched no new column): that is the readiness probe's to say.
        if problem is not None and problem.kind == "unavailable":
            self._health.answering()


async def _discard(session: AsyncSession, *, invalidate: bool) -> None:
    # A connection that timed out or broke may be mid-protocol: a ROLLBACK on it could hang
    # or fail, so it is dropped from the pool instead.
    try:
        if invalidate:
            await session.invalidate()
        else:
            await session.close()
    except Exception:
        logger.warning("discarding a failed session raised", exc_info=True)
