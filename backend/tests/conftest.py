"""Shared fixtures: every API test runs on SQLite, on PostgreSQL, and on PostgreSQL through
PgBouncer in transaction mode (Neon's pooled endpoint)."""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from sqlalchemy import delete
from sqlalchemy.engine import make_url

from tests.support.databases import (
    REQUIRE_POSTGRES,
    fresh_postgres_database,
    postgres_server_url,
    postgres_unreachable_reason,
    sqlite_url,
)
from tests.support.declared_responses import declared_response_check
from tests.support.pgbouncer import PgBouncer, pgbouncer_executable, running_pgbouncer
from tests.support.postgres_admin import with_host_and_port
from tests.support.requirements import is_required, missing
from tests.support.signing_keys import SigningKey, new_ec_key, new_ed25519_key, new_rsa_key
from todo_api.auth.development_token import mint_development_token
from todo_api.config import Settings
from todo_api.db.migrations import migrate_database
from todo_api.main import create_app
from todo_api.models import Task

pytest_plugins = ["tests.support.run_summary"]

# A well-formed ETag that no task has: a conditional write with it matches nothing.
STALE_TAG = '"2001-01-01T00:00:00Z"'

TEST_SECRET = "test-secret-for-the-suite-0123456789abcdef"
ALICE = "PkT4IjEnSg188RUyeRggOZiHz5miNZE2"
BOB = "bob_0123456789"

_postgres_skip_reason: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _postgres_skip_reason
    _postgres_skip_reason = postgres_unreachable_reason()
    if _postgres_skip_reason and is_required(REQUIRE_POSTGRES):
        raise pytest.UsageError(
            f"REQUIRE_POSTGRES is set but PostgreSQL at {postgres_server_url()} is not "
            f"reachable: {_postgres_skip_reason}"
        )


def skip_without_postgres() -> None:
    if _postgres_skip_reason:
        missing(
            f"PostgreSQL is not reachable: {_postgres_skip_reason}", required_by=REQUIRE_POSTGRES
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _postgres_skip_reason:
        terminalreporter.write_line(
            f"PostgreSQL tests were SKIPPED: {_postgres_skip_reason} "
            "(set TEST_DATABASE_URL, or REQUIRE_POSTGRES=1 to fail instead)",
            yellow=True,
            bold=True,
        )
    else:
        terminalreporter.write_line(f"PostgreSQL tests ran against {postgres_server_url()}")


@dataclass(frozen=True, slots=True)
class DatabaseTarget:
    url: str
    settings: dict[str, object]


@pytest.fixture(scope="session")
def pgbouncer() -> Iterator[PgBouncer]:
    """One PgBouncer (transaction mode, 2 server connections) in front of the test server."""
    executable = pgbouncer_executable() or missing(
        "pgbouncer is not installed (apt-get install pgbouncer)", required_by="REQUIRE_PGBOUNCER"
    )
    skip_without_postgres()
    server = make_url(postgres_server_url())
    with running_pgbouncer(executable, server.host or "127.0.0.1", server.port or 5432) as bouncer:
        yield bouncer


@pytest.fixture(scope="session", params=["sqlite", "postgresql", "pgbouncer"])
def database_target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DatabaseTarget]:
    """SQLite; PostgreSQL directly; PostgreSQL through a transaction pooler, as on Neon."""
    if request.param == "sqlite":
        yield DatabaseTarget(sqlite_url(tmp_path_factory.mktemp("sqlite")), {})
        return
    skip_without_postgres()
    if request.param == "postgresql":
        with fresh_postgres_database() as url:
            yield DatabaseTarget(url, {})
        return
    bouncer: PgBouncer = request.getfixturevalue("pgbouncer")
    with fresh_postgres_database() as url:
        # Nothing set: the defaults must work behind a pooler on any port.
        yield DatabaseTarget(with_host_and_port(url, "127.0.0.1", bouncer.port), {})


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "environment": "development",
        "better_auth_secret": TEST_SECRET,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def settings(database_target: DatabaseTarget) -> Settings:
    return make_settings(database_target.url, **database_target.settings)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        if not settings.is_sqlite:
            await migrate_database(application.state.database.engine, settings)
        yield application


@pytest.fixture
async def clean_app(app: FastAPI) -> FastAPI:
    """The session's app, with the tasks table emptied before the test."""
    async with app.state.database.engine.begin() as connection:
        await connection.execute(delete(Task))
    return app


def token_for(user_id: str) -> str:
    return mint_development_token(TEST_SECRET, user_id, ttl_seconds=3600)


@asynccontextmanager
async def serving(
    settings: Settings, user_id: str = ALICE
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """A started app of its own, and an in-process client that sends `user_id`'s token."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {token_for(user_id)}"},
            event_hooks={"response": [declared_response_check(app)]},
        ) as client,
    ):
        yield app, client


@pytest.fixture
async def client_for(clean_app: FastAPI) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """Make an HTTP client (in process, through ASGI) that sends `user_id`'s token."""
    clients: list[httpx.AsyncClient] = []

    def make(user_id: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=clean_app, raise_app_exceptions=False),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {token_for(user_id)}"},
            event_hooks={"response": [declared_response_check(clean_app)]},
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def client(client_for: Callable[[str], httpx.AsyncClient]) -> httpx.AsyncClient:
    return client_for(ALICE)


@pytest.fixture(scope="session")
def ed25519_key() -> SigningKey:
    return new_ed25519_key("ed25519-key")


@pytest.fixture(scope="session")
def p256_key() -> SigningKey:
    return new_ec_key("p256-key", ec.SECP256R1(), "ES256")


@pytest.fixture(scope="session")
def rsa_key() -> SigningKey:
    return new_rsa_key("rsa-key")
