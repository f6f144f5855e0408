"""Developers' `alembic upgrade head` from the repository root finds the packaged migrations,
and leaves the same database as `todo-api migrate`, the role's limits included."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.databases import fresh_postgres_database_or_skip
from tests.support.postgres_admin import libpq_url
from todo_api.db.schema_state import packaged_revisions

REPO_ROOT = Path(__file__).resolve().parents[3]
ALEMBIC = Path(sys.executable).with_name("alembic")
TODO_API = Path(sys.executable).with_name("todo-api")
# Only the database is configured, in production: no auth setting may be needed to migrate.
STATEMENT_TIMEOUT_MS = "1500"


def alembic(*args: str, database_url: str) -> str:
    return run(ALEMBIC, *args, database_url=database_url)


def run(executable: Path, *args: str, database_url: str) -> str:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "production",
        "DB_STATEMENT_TIMEOUT_MS": STATEMENT_TIMEOUT_MS,
    }
    completed = subprocess.run(  # noqa: S603 (the venv's own commands)
        [str(executable), *args],
        cwd=REPO_ROOT,  # where alembic.ini is
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout + completed.stderr  # alembic logs to stderr


def test_upgrade_head_from_the_repository_root(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'developer.sqlite3'}"
    assert "(head)" not in alembic("current", database_url=url)
    alembic("upgrade", "head", database_url=url)
    assert "(head)" in alembic("current", database_url=url)


@pytest.fixture
def postgres_urls() -> Iterator[tuple[str, str]]:
    with fresh_postgres_database_or_skip() as first, fresh_postgres_database_or_skip() as second:
        yield first, second


def database_state(url: str) -> tuple[list[str], list[str], list[str]]:
    """The revision, the tables and the role's defaults in this database."""
    with psycopg.connect(libpq_url(url)) as connection:
        revisions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        tables = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        defaults = connection.execute(
            "SELECT setconfig FROM pg_db_role_setting JOIN pg_database d ON d.oid = setdatabase "
            "WHERE d.datname = current_database() AND setrole = "
            "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
        ).fetchone()
    return (
        sorted(row[0] for row in revisions),
        sorted(row[0] for row in tables),
        sorted(defaults[0]) if defaults else [],
    )


def test_alembic_and_todo_api_migrate_leave_the_same_database(
    postgres_urls: tuple[str, str],
) -> None:
    by_alembic, by_todo_api = postgres_urls
    assert "Running upgrade  -> 0001" in alembic("upgrade", "head", database_url=by_alembic)
    assert "applied 0001" in run(TODO_API, "migrate", database_url=by_todo_api)

    state = database_state(by_alembic)
    assert state == database_state(by_todo_api)
    assert state == (
        sorted(packaged_revisions().heads),
        ["alembic_version", "tasks"],
        ["idle_in_transaction_session_timeout=60000", f"statement_timeout={STATEMENT_TIMEOUT_MS}"],
    )
    # Reading the revision writes nothing.
    assert "(head)" in alembic("current", database_url=by_alembic)
