"""A throw-away PostgreSQL database: create, migrate, seed by COPY, restore, drop."""

import os
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from benchmarks.dataset import COPY_COLUMNS, POOL_BASE, SEED_BASE, Cohort, RowMaker, owners_of

_LOOPBACK_NAMES = {"localhost", "::1"}
_COPY_BATCH = 2000


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if not (host in _LOOPBACK_NAMES or host.startswith("127.")):
        raise SystemExit(f"refusing PostgreSQL host {host!r}: the benchmark is loopback only")


class BenchDatabase:
    def __init__(self, admin_url: str, suffix: str = "main") -> None:
        require_loopback(admin_url)
        self._admin_url = admin_url
        self.name = f"todo_bench_{os.getpid()}_{int(time.time())}_{suffix}"
        self.url = urlsplit(admin_url)._replace(path=f"/{self.name}").geturl()
        self.seed = 0

    @property
    def address(self) -> tuple[str, int]:
        """Host and port of the PostgreSQL server."""
        parts = urlsplit(self.url)
        return parts.hostname or "127.0.0.1", parts.port or 5432

    def url_via(self, port: int) -> str:
        """This database reached through a loopback port (a proxy or a pooler) instead."""
        parts = urlsplit(self.url)
        user = f"{parts.username}@" if parts.username else ""
        return parts._replace(netloc=f"{user}127.0.0.1:{port}").geturl()

    def _maintenance_connection(self, *, autocommit: bool) -> psycopg.Connection[Any]:
        """A direct connection for seeding and restoring: `todo-api migrate` stores the
        service's statement timeout as a default of the role in this database, which a COPY
        of a million rows or a VACUUM must not be held to."""
        return psycopg.connect(self.url, autocommit=autocommit, options="-c statement_timeout=0")

    def create(self) -> None:
        with psycopg.connect(self._admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))

    def drop(self) -> None:
        with psycopg.connect(self._admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )

    def migrate(self, env: dict[str, str], cwd: Path, todo_api: Path) -> None:
        subprocess.run(
            [str(todo_api), "migrate"], env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL
        )

    def server_version(self) -> str:
        with self._maintenance_connection(autocommit=False) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "unknown"

    def reseed(self, cohorts: Iterable[Cohort], sample_size: int) -> list[tuple[str, str]]:
        """Empty the table and COPY the cohorts in; return a sample of (user, task) pairs."""
        cohorts = tuple(cohorts)
        total = sum(cohort.rows for cohort in cohorts)
        self.seed += 1
        maker = RowMaker(self.seed)
        with self._maintenance_connection(autocommit=True) as conn:
            conn.execute("TRUNCATE tasks")
            lines = maker.lines(owners_of(cohorts), SEED_BASE, min(1.0, sample_size / total))
            _copy(conn, lines)
            conn.execute("VACUUM (ANALYZE) tasks")
        return maker.sample

    def add_pool(self, owners: Iterable[tuple[str, int]]) -> list[tuple[str, str]]:
        """Extra rows for the delete workloads, every one of them returned."""
        self.seed += 1
        maker = RowMaker(self.seed)
        with self._maintenance_connection(autocommit=True) as conn:
            _copy(conn, maker.lines(owners, POOL_BASE, sample_rate=1.0))
            conn.execute("ANALYZE tasks")
        return maker.sample

    def restore(self) -> None:
        """Back to the seeded rows: drop pools and created tasks, then vacuum."""
        with self._maintenance_connection(autocommit=True) as conn:
            conn.execute(
                "DELETE FROM tasks WHERE created_at < %s OR created_at >= %s",
                (SEED_BASE, SEED_BASE.replace(year=SEED_BASE.year + 1)),
            )
            conn.execute("VACUUM (ANALYZE) tasks")

    def sessions(self) -> int:
        """Connections ever opened to this database (the statistics lag up to a second)."""
        with self._maintenance_connection(autocommit=True) as conn:
            row = conn.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
            ).fetchone()
        return int(row[0]) if row else 0


def _copy(conn: psycopg.Connection, lines: Iterable[str]) -> None:
    statement = f"COPY tasks ({COPY_COLUMNS}) FROM STDIN"
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= _COPY_BATCH:
                copy.write("".join(batch))
                batch.clear()
        if batch:
            copy.write("".join(batch))
