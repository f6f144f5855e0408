"""Each request's session: autocommit, under one deadline, its failures named."""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_api.db.connection_deadline import ConnectionDeadlines
from todo_api.db.failure_cause import deadline_passed, diagnose
from todo_api.db.readiness import DatabaseHealth

logger = logging.getLogger("todo_api.database")


@dataclass
class RequestSessions:
    engine: AsyncEngine
    deadlines: ConnectionDeadlines
    health: DatabaseHealth
    secrets: Sequence[str]
    timeout_seconds: float

    @asynccontextmanager
    async def autocommit_session(self) -> AsyncIterator[AsyncSession]:
        """The request's session, under one deadline. A schema behind the migrations is
        noticed from the errors, never checked per request."""
        session = AsyncSession(self.engine, expire_on_commit=False, autoflush=False)
        try:
            with self.deadlines.bound(self.timeout_seconds) as deadline:
                yield session
        except BaseException as error:
            problem = diagnose(error, self.secrets)
            # A connection that timed out or broke may be mid-protocol: a ROLLBACK on it could
            # hang or fail, so it is dropped from the pool instead.
            unavailable = problem is not None and problem.kind == "unavailable"
            try:
                if unavailable or isinstance(error, asyncio.CancelledError):
                    await session.invalidate()
                else:
                    await session.close()
            except Exception:
                logger.warning("discarding a failed session raised", exc_info=True)
            if problem is None:
                raise
            if deadline.passed:  # the cut connection looks lost: say what cut it
                problem = deadline_passed("DB_REQUEST_TIMEOUT_SECONDS", self.timeout_seconds)
            self.health.failing(problem)
            raise problem.as_error() from error
        await session.close()
        problem = self.health.problem
        # A request that worked shows the database answers again, but not that its schema
        # caught up (it may have touched no new column): that is the readiness probe's to say.
        if problem is not None and problem.kind == "unavailable":
            self.health.answering()
