"""The database's last known state, logged once per change, and the readiness probe."""

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from todo_api.db.connection_deadline import ConnectionDeadlines
from todo_api.db.failure_cause import DatabaseProblem, deadline_passed, diagnose
from todo_api.db.schema_state import Revisions, schema_behind

logger = logging.getLogger("todo_api.database")

READINESS_TIMEOUT_SECONDS = 2.0
WRITES_REFUSED_QUIET_SECONDS = 300.0


@dataclass
class DatabaseHealth:
    """The database as this process last saw it; logging only its changes keeps an outage
    under load to a few lines."""

    shown_url: str
    problem: DatabaseProblem | None = None
    _writes_refused_at: dict[str, float] = field(default_factory=dict)

    def failing(self, problem: DatabaseProblem) -> None:
        if problem.kind == "writes":
            # Reads keep working, and a request that worked may have written nothing: no
            # answer shows that writes work again, so a quiet spell stands for it.
            now, last = time.monotonic(), self._writes_refused_at.get(problem.cause)
            self._writes_refused_at[problem.cause] = now
            if last is not None and now - last < WRITES_REFUSED_QUIET_SECONDS:
                return
        elif self.problem is not None and self.problem.cause == problem.cause:
            return
        else:
            self.problem = problem
        # ERROR, and the recovery a WARNING, so that a log kept at WARNING shows both ends.
        logger.error("%s; DATABASE_URL=%s", problem.describe(), self.shown_url)

    def answering(self) -> None:
        if self.problem is not None:
            logger.warning("database answering again (after: %s)", self.problem.cause)
            self.problem = None


@dataclass
class Readiness:
    """The database answers, and its schema is at the `needed` revisions."""

    engine: AsyncEngine
    deadlines: ConnectionDeadlines
    health: DatabaseHealth
    secrets: Sequence[str]
    needed: Revisions
    _probes: set[asyncio.Task[bool]] = field(default_factory=set)

    async def is_ready(self, timeout_seconds: float = READINESS_TIMEOUT_SECONDS) -> bool:
        # Answered in time whatever the network does; a probe still running finishes on its own.
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
            with self.deadlines.bound(timeout_seconds) as deadline:
                async with self.engine.connect() as connection:
                    problem = await schema_behind(connection, self.needed)
        except Exception as error:
            # The cut connection looks lost: name the deadline, as is_ready does when it fires.
            problem = (
                deadline_passed("the readiness probe's", timeout_seconds)
                if deadline.passed
                else diagnose(error, self.secrets)
            )
            if problem is None:
                logger.exception("readiness check failed unexpectedly")
                return False
            if problem.kind == "schema":  # no alembic_version table
                problem = DatabaseProblem(
                    "schema", "schema", "never migrated: no alembic_version table"
                )
        if problem is not None:
            self.health.failing(problem)
            return False
        self.health.answering()
        return True

    async def cancel_probes(self) -> None:
        # A probe that outlived the pool would open (and keep) a connection nobody closes.
        for probe in self._probes:
            probe.cancel()
        await asyncio.gather(*self._probes, return_exceptions=True)
