"""The database handle: one engine per process, one session per request."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_api.config import Settings
from todo_api.db.connection_deadline import ConnectionDeadlines, Deadline
from todo_api.db.database_problems import (
    DatabaseHealth,
    DatabaseProblem,
    deadline_passed,
    diagnose,
    is_unavailable_error,
    schema_problem,
)
from todo_api.db.engine import create_engine
from todo_api.db.migrations import packaged_revisions
from todo_api.errors import DatabaseUnavailable, SchemaBehind

logger = logging.getLogger(__name__)

_CURRENT_REVISIONS = text("SELECT version_num FROM alembic_version")


class Database:
    def __init__(self, settings: Settings) -> None:
        self.engine = create_engine(settings)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False, autoflush=False
        )
        self._request_timeout = settings.db_request_timeout_seconds
        # SQLite is a local file: its waits are bounded by its busy timeout instead.
        self._deadlines = None if settings.is_sqlite else ConnectionDeadlines(self.engine)
        self._secrets = settings.secret_values()
        self._revisions = packaged_revisions()
        self.health = DatabaseHealth(settings.shown_database_url)
        self._probes: set[asyncio.Task[bool]] = set()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """The request's session; its connection goes back to the pool when the body ends.

        The engine runs in autocommit, so each statement is its own transaction, durable
        when it returns, at one round trip. Every service operation writes with at most one
        statement (conditional writes and the toggle included), which keeps a request all
        or nothing without a BEGIN/COMMIT pair around it.

        The whole body runs under one deadline, so a database that stops answering
        mid-request costs a bounded wait and a 503, never a hung request. A database
        behind the migrations is noticed from the error its statements get, so a healthy
        request pays for no schema check.
        """
        session = self._sessions()
        try:
            with self._deadline(self._request_timeout) as deadline:
                yield session
        except BaseException as error:
            await self._discard(session, error)
            problem = diagnose(error, self._secrets)
            if problem is None:
                raise
            if deadline.passed:  # the cut connection looks lost: say what cut it
                problem = deadline_passed("DB_REQUEST_TIMEOUT_SECONDS", self._request_timeout)
            self.health.failing(problem)
            raise _domain_error(problem) from error
        await session.close()
        problem = self.health.problem
        # A request that worked shows the database answers again, but not that its schema
        # caught up (it may have touched no new column): that is the readiness probe's to say.
        if problem is not None and problem.kind == "unavailable":
            self.health.answering()

    async def is_ready(self, timeout_seconds: float) -> bool:
        """The database answers, and its schema is at this version's migrations.

        The answer comes within `timeout_seconds` whatever the network does (a connect
        attempt alone may take longer): a probe still running then finishes on its own.
        """
        probe = asyncio.ensure_future(self._probe(timeout_seconds))
        self._probes.add(probe)
        probe.add_done_callback(self._probes.discard)
        done, _ = await asyncio.wait({probe}, timeout=timeout_seconds)
        if not done:
            self.health.failing(deadline_passed("the readiness probe's", timeout_seconds))
            return False
        return probe.result()

    async def _probe(self, timeout_seconds: float) -> bool:
        try:
            with self._deadline(timeout_seconds):
                async with self.engine.connect() as connection:
                    revisions = set((await connection.execute(_CURRENT_REVISIONS)).scalars())
        except Exception as error:
            problem = diagnose(error, self._secrets)
            if problem is None:
                logger.exception("readiness check failed unexpectedly")
                return False
            if problem.kind == "schema":  # no alembic_version table
                problem = schema_problem("never migrated: no alembic_version table")
            self.health.failing(problem)
            return False
        if behind := self._schema_behind(revisions):
            self.health.failing(behind)
            return False
        self.health.answering()
        return True

    def _schema_behind(self, revisions: set[str]) -> DatabaseProblem | None:
        # A revision this version does not know comes from a newer release that migrated
        # first: its migrations keep older code working, so that is not a problem.
        if revisions >= self._revisions.heads or revisions - self._revisions.known:
            return None
        needed = ", ".join(sorted(self._revisions.heads))
        if not revisions:  # migrated, then downgraded to base
            return schema_problem(
                f"not migrated: no revision recorded; this version needs {needed}"
            )
        current = ", ".join(sorted(revisions))
        return schema_problem(f"at revision {current}, this version needs {needed}")

    def _deadline(self, seconds: float) -> contextlib.AbstractContextManager[Deadline]:
        if self._deadlines is None:
            return contextlib.nullcontext(Deadline())
        return self._deadlines.bound(seconds)

    async def dispose(self) -> None:
        # A readiness probe still waiting on the network must not outlive the pool: finishing
        # later, it would open (and keep) a connection nobody closes.
        for probe in self._probes:
            probe.cancel()
        await asyncio.gather(*self._probes, return_exceptions=True)
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


def _domain_error(problem: DatabaseProblem) -> DatabaseUnavailable:
    return SchemaBehind() if problem.kind == "schema" else DatabaseUnavailable()
