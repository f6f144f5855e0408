"""The data: throw-away PostgreSQL databases seeded by COPY with rows made from one seed."""

import os
import random
import subprocess
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from benchmarks.settings import VENV_BIN
from todo_api.auth.development_token import mint_development_token

# Seeded rows are dated in 2020; delete pools in 2019 (they sort last in newest-first lists);
# anything the API creates is dated now. So a restore keeps exactly the 2020 rows.
SEED_BASE = datetime(2020, 1, 1, tzinfo=UTC)
POOL_BASE = datetime(2019, 1, 1, tzinfo=UTC)
DESCRIPTION = "Seeded by the benchmark: a description of a typical length for a todo item."
NO_TASK = "-"
_COLUMNS = "id, user_id, title, description, is_completed, created_at, updated_at"
_COPY = f"COPY tasks ({_COLUMNS}) FROM STDIN"
_SESSIONS = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
Item = tuple[str, str]  # (user id, task id or NO_TASK)


@dataclass(frozen=True, slots=True)
class Cohort:
    """`users` users that own `tasks_each` tasks each."""

    prefix: str
    users: int
    tasks_each: int

    @property
    def user_ids(self) -> list[str]:
        return [f"{self.prefix}-{index:04d}" for index in range(self.users)]


MAIN = (Cohort("user", 100, 1000),)
PROBE = Cohort("probe", 10, 1000)
SIZE_COHORTS = (Cohort("t10", 10, 10), Cohort("t100", 10, 100), Cohort("t10000", 2, 10_000))
# A million rows: the probe users, the size cohorts, and 1000-task users for the rest.
_FILL, _REST = divmod(1_000_000 - sum(c.users * c.tasks_each for c in (PROBE, *SIZE_COHORTS)), 1000)
LARGE = (PROBE, *SIZE_COHORTS, Cohort("fill", _FILL, 1000), Cohort("rest", 1, _REST))


def mint_tokens(secret: str, user_ids: Iterable[str], ttl_seconds: int) -> dict[str, str]:
    return {
        user: mint_development_token(secret, user, ttl_seconds=ttl_seconds) for user in user_ids
    }


class BenchDatabase:
    def __init__(self, admin_url: str, suffix: str = "main") -> None:
        host = urlsplit(admin_url).hostname or ""
        if not (host in {"localhost", "::1"} or host.startswith("127.")):
            raise SystemExit(f"refusing PostgreSQL host {host!r}: the benchmark is loopback only")
        self._admin_url = admin_url
        self.name = f"todo_bench_{os.getpid()}_{int(time.time())}_{suffix}"
        self.url = urlsplit(admin_url)._replace(path=f"/{self.name}").geturl()
        self.host, self.port = host, urlsplit(admin_url).port or 5432
        self._seed = 0

    def url_via(self, port: int) -> str:
        """This database reached through a loopback port (a proxy or a pooler) instead."""
        parts = urlsplit(self.url)
        user = f"{parts.username}@" if parts.username else ""
        return parts._replace(netloc=f"{user}127.0.0.1:{port}").geturl()

    def _admin(self, statement: str) -> None:
        with psycopg.connect(self._admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL(statement).format(sql.Identifier(self.name)))

    @contextmanager
    def created(self, env: dict[str, str], cwd: Path) -> Iterator[Self]:
        """Created and migrated (`todo-api migrate`, as a release does), dropped at the end."""
        self._admin("CREATE DATABASE {}")
        try:
            print(f"database {self.name}: migrating", flush=True)
            env = {**env, "DATABASE_URL": self.url}
            subprocess.run([VENV_BIN / "todo-api", "migrate"], env=env, cwd=cwd, check=True)
            yield self
        finally:
            self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")

    def _connect(self) -> psycopg.Connection[Any]:
        """Not held to the service's statement timeout, which `todo-api migrate` stores as the
        role's default: a COPY of a million rows takes longer."""
        return psycopg.connect(self.url, autocommit=True, options="-c statement_timeout=0")

    def query(self, statement: str, *params: object) -> str:
        with self._connect() as conn:
            cursor = conn.execute(statement, params or None)
            row = cursor.fetchone() if cursor.description else None
        return str(row[0]) if row else ""

    def sessions(self) -> int:
        """Connections ever opened to this database (the statistics lag up to a second)."""
        return int(self.query(_SESSIONS) or 0)

    def copy(self, owners: Iterable[tuple[str, int]], base: datetime, rate: float) -> list[Item]:
        """COPY the owners' tasks in (reproducible ids); return a random sample of them."""
        self._seed += 1
        rng, sample, stamps = random.Random(self._seed), [], list[str]()
        with self._connect() as conn, conn.cursor().copy(_COPY) as copy:
            for user, count in owners:
                while len(stamps) < count:  # a user's tasks are a second apart
                    stamps.append((base + timedelta(seconds=len(stamps))).isoformat())
                for index in range(count):
                    task = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    if rate and rng.random() < rate:
                        sample.append((user, task))
                    text = f"Task {index} of {user}\t" + ("\\N" if index % 3 == 0 else DESCRIPTION)
                    done, stamp = "t" if index % 4 == 0 else "f", stamps[index]
                    copy.write(f"{task}\t{user}\t{text}\t{done}\t{stamp}\t{stamp}\n")
        return sample

    def reseed(self, cohorts: Iterable[Cohort], sample_size: int) -> list[Item]:
        """Empty the table and COPY the cohorts in; return a sample of (user, task) pairs."""
        owners = [(user, cohort.tasks_each) for cohort in cohorts for user in cohort.user_ids]
        self.query("TRUNCATE tasks")
        sample = self.copy(owners, SEED_BASE, min(1.0, sample_size / sum(n for _, n in owners)))
        self.query("VACUUM (ANALYZE) tasks")
        return sample

    def add_pool(self, owners: Iterable[tuple[str, int]]) -> list[Item]:
        """Extra rows for the delete workloads, every one of them returned."""
        sample = self.copy(owners, POOL_BASE, rate=1.0)
        self.query("ANALYZE tasks")
        return sample

    def restore(self) -> None:
        """Back to the seeded rows: drop pools and created tasks, then vacuum."""
        end = SEED_BASE.replace(year=SEED_BASE.year + 1)
        self.query("DELETE FROM tasks WHERE created_at < %s OR created_at >= %s", SEED_BASE, end)
        self.query("VACUUM (ANALYZE) tasks")
