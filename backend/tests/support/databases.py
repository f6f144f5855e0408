"""Test databases: a fresh SQLite file, and a fresh PostgreSQL database on a reachable server."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from tests.support.requirements import missing

REQUIRE_POSTGRES = "REQUIRE_POSTGRES"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_server_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES_URL


def postgres_unreachable_reason() -> str | None:
    """None when the test PostgreSQL server answers, else why it does not."""
    try:
        with psycopg.connect(postgres_server_url(), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"
    return None


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create an empty database on the test server, yield its URL, drop it afterwards."""
    server_url = postgres_server_url()
    name = f"todo_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))


@contextmanager
def fresh_postgres_database_or_skip() -> Iterator[str]:
    """`fresh_postgres_database()`, or skip the test when no server answers.

    With REQUIRE_POSTGRES set (as CI sets it) an unreachable server fails the test instead,
    so a PostgreSQL test can never pass by being skipped there.
    """
    if reason := postgres_unreachable_reason():
        missing(f"PostgreSQL is not reachable: {reason}", required_by=REQUIRE_POSTGRES)
    with fresh_postgres_database() as url:
        yield url


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'todo-test.sqlite3'}"


def _with_database(server_url: str, name: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(server_url)
    info["dbname"] = name
    # Back to URL form for SQLAlchemy, keeping every parameter the server URL had.
    host = info.pop("host", "127.0.0.1")
    port = info.pop("port", "5432")
    user = info.pop("user", "postgres")
    password = info.pop("password", None)
    dbname = info.pop("dbname")
    credentials = f"{quote(str(user), safe='')}" + (
        f":{quote(password, safe='')}" if password else ""
    )
    query = "&".join(f"{key}={value}" for key, value in info.items())
    url = f"postgresql+psycopg://{credentials}@{host}:{port}/{dbname}"
    return url + (f"?{query}" if query else "")
