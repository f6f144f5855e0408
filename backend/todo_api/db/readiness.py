"""The database's last known state, logged once per change, and the readiness probe."""

import asyncio
import logging
import time
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from todo_api.db.connection_deadline import ConnectionDeadlines
from todo_api.db.failure_cause import DatabaseProblem, deadline_passed, diagnose, schema_problem
from todo_api.db.schema_state import Revisions, schema_behind

logger = logging.getLogger("todo_api.database")

READINESS_TIMEOUT_SECONDS = 2.0
# A refusal of writes is logged again only after this long without one.
WRITES_REFUSED_QUIET_SECONDS = 300.0


class DatabaseHealth:
    """The database as this process last saw it. Only changes are logged (healthy ->
    failing(cause) -> healthy), so an outage under load is a few lines, not one per request."""

    def __init__(self, shown_url: str) -> None:
        self.problem: DatabaseProblem | None = None
        self._shown_url = shown_url
        self._writes_refused_at: dict[str, float] = {}

    def failing(self, problem: DatabaseProblem) -> None:
        if problem.kind == "writes":
            # Reads keep working, and a request that worked may have written nothing: no
            # answer shows that writes work again, so a quiet spell stands for it.
            now = time.monotonic()
            last = self._writes_refused_at.get(problem.cause, -WRITES_REFUSED_QUIET_SECONDS)
            self._writes_refused_at[problem.cause] = now
            if now - last >= WRITES_REFUSED_QUIET_SECONDS:
                self._log(problem)
            return
        if self.problem is not None and self.problem.cause == problem.cause:
            return
        self.problem = problem
        self._log(problem)

    def _log(self, problem: DatabaseProblem) -> None:
        # ERROR, and the recovery a WARNING, so that a log kept at WARNING shows both ends.
        logger.error("%s; DATABASE_URL=%s", problem.describe(), self._shown_url)

    def answering(self) -> None:
        if self.problem is None:
            return
        logger.warning("database answering again (after: %s)", self.problem.cause)
        self.problem = None


class Readiness:
    """The database answers, and its schema is at this version's migrations."""

    def __init__(
        self,
        engine: AsyncEngine,
        deadlines: ConnectionDeadlines,
        health: DatabaseHealth,
        secrets: Sequence[str],
        needed: Revisions,
    ) -> None:
        self._engine = engine
        self._deadlines = deadlines
        self._health = health
        self._secrets = secrets
        self._needed = needed
        self._probes: set[asyncio.Task[bool]] = set()

    async def is_ready(self, timeout_seconds: float = READINESS_TIMEOUT_SECONDS) -> bool:
        """Answered within `timeout_seconds` whatever the network does (a connect attempt
        alone may take longer): a probe still running then finishes on its own."""
        probe = asyncio.ensure_future(self._probe(timeout_seconds))
        self._probes.add(probe)
        probe.add_done_callback(self._probes.discard)
        done, _ = await asyncio.wait({probe}, timeout=timeout_seconds)
        if not done:
            self._health.failing(deadline_passed("the readiness probe's", timeout_seconds))
            return False
        return probe.result()

    async def _probe(self, timeout_seconds: float) -> bool:
        try:
            with self._deadlines.bound(timeout_seconds):
                async with self._engine.connect() as connection:
                    problem = await schema_behind(connection, self._needed)
        except Exception as error:
            problem = diagnose(error, self._secrets)
            if problem is None:
                logger.exception("readiness check failed unexpectedly")
                return False
            if problem.kind == "schema":  # no alembic_version table
                problem = schema_problem("never migrated: no alembic_version table")
        if problem is not None:
            self._health.failing(problem)
            return False
        self._health.answering()
        return True

    async def cancel_probes(self) -> None:
        # A probe still waiting on the network must not outlive the pool: finishing later,
        # it would open (and keep) a connection nobody closes.
        for probe in self._probes:
            probe.cancel()
        await asyncio.gather(*self._probes, return_exceptions=True)
