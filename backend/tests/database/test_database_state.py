"""A database the service cannot use is reported in one log line that names the cause and
what to do; readiness says 503 meanwhile, and task requests get 503, never 500."""

import asyncio
import logging
import time
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy.engine import Connection, make_url

from tests.conftest import ALICE, make_settings, serving
from tests.support.databases import fresh_postgres_database_or_skip
from tests.support.downgrade import downgrade_to_base
from tests.support.postgres_admin import with_host_and_port
from tests.support.tcp_proxy import TcpProxy
from todo_api.config import Settings
from todo_api.db.engine import create_engine
from todo_api.db.migrations import (
    alembic_config,
    migrate_database,
    run_in_one_transaction,
)
from todo_api.db.schema_state import Revisions, packaged_revisions

TASKS = f"/api/v1/{ALICE}/tasks"
# The spec's 2 s, plus room for a loaded 2-core machine.
MAX_READINESS_SECONDS = 2.5


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database_or_skip() as url:
        yield url


def service_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{record.levelname} {record.getMessage()}"
        for record in caplog.records
        if record.name.startswith("todo_api") and record.name != "todo_api.access"
    ]


async def migrate(settings: Settings) -> None:
    await migrate_database(create_engine(settings), settings)


async def test_a_never_migrated_database_is_one_line_then_503s_until_migrated(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="todo_api")
    settings = make_settings(postgres_url)
    async with serving(settings) as (_, client):
        assert service_lines(caplog) == [
            "ERROR database schema is behind this version (never migrated: no alembic_version "
            "table): run `todo-api migrate`; DATABASE_URL=" + settings.shown_database_url
        ]
        assert (await client.get("/health/ready")).status_code == 503
        for response in [
            await client.get(TASKS),
            await client.post(TASKS, json={"title": "Buy milk"}),
            await client.patch(f"{TASKS}/8d0e1c5e-9bb4-4c1e-9a43-0d6d2c3b6a11/complete"),
        ]:
            assert response.status_code == 503, response.text
            problem = response.json()
            assert problem["code"] == "BACKEND_UNAVAILABLE"
            assert "migrations have not been run" in problem["detail"]
            assert "retry-after" in response.headers
        assert len(service_lines(caplog)) == 1, service_lines(caplog)
        assert "Traceback" not in caplog.text

        await migrate(settings)
        assert (await client.get("/health/ready")).status_code == 200
        assert (await client.post(TASKS, json={"title": "Buy milk"})).status_code == 201
        assert service_lines(caplog)[1:] == ["WARNING database answering again (after: schema)"]


async def test_a_database_behind_this_versions_migrations_is_not_ready(
    postgres_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(postgres_url)
    await migrate(settings)
    async with serving(settings) as (app, client):
        assert (await client.get("/health/ready")).status_code == 200
        caplog.set_level(logging.INFO, logger="todo_api")
        # As if this version shipped a migration 9999 that was not run.
        (head,) = packaged_revisions().heads
        newer = Revisions(heads=frozenset({"9999"}), known=frozenset({head, "9999"}))
        monkeypatch.setattr(app.state.database.readiness, "needed", newer)
        assert (await client.get("/health/ready")).status_code == 503
        assert service_lines(caplog) == [
            f"ERROR database schema is behind this version (at revision {head}, this version "
            "needs 9999): run `todo-api migrate`; DATABASE_URL=" + settings.shown_database_url
        ]
        # A revision this version does not know was written by a newer release: ready.
        unknown = Revisions(heads=frozenset({"0000"}), known=frozenset({"0000"}))
        monkeypatch.setattr(app.state.database.readiness, "needed", unknown)
        assert (await client.get("/health/ready")).status_code == 200


async def test_a_database_one_migration_behind_is_logged_once_not_per_request(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Requests that need no new column succeed, those that need one fail; neither flips the
    logged state back and forth: the schema is the readiness probe's to judge."""
    settings = make_settings(postgres_url)

    def to_0001(connection: Connection) -> None:
        config = alembic_config()
        config.attributes.update(connection=connection, settings=settings)
        command.upgrade(config, "0001")

    engine = create_engine(settings)
    await run_in_one_transaction(engine, to_0001)
    await engine.dispose()
    caplog.set_level(logging.INFO, logger="todo_api")
    async with serving(settings) as (_, client):
        for attempt in range(3):
            assert (await client.get(TASKS)).status_code == 200
            keyed = await client.post(
                TASKS, json={"title": "Buy milk"}, headers={"Idempotency-Key": f"k{attempt}"}
            )
            assert keyed.status_code == 503, keyed.text
        assert (await client.get("/health/ready")).status_code == 503
    (head,) = packaged_revisions().heads
    assert [r.getMessage() for r in caplog.records if r.name == "todo_api.database"] == [
        f"database schema is behind this version (at revision 0001, this version needs {head})"
        ": run `todo-api migrate`; DATABASE_URL=" + settings.shown_database_url
    ]


async def test_a_database_downgraded_to_base_is_not_ready(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(postgres_url)
    await migrate(settings)
    engine = create_engine(settings)
    await downgrade_to_base(engine)
    await engine.dispose()
    caplog.set_level(logging.INFO, logger="todo_api")
    async with serving(settings) as (_, client):
        assert (await client.get("/health/ready")).status_code == 503
        assert (await client.get(TASKS)).status_code == 503
    (head,) = packaged_revisions().heads
    assert service_lines(caplog) == [
        "ERROR database schema is behind this version (not migrated: no revision recorded; "
        f"this version needs {head}): run `todo-api migrate`; DATABASE_URL="
        + settings.shown_database_url
    ]


async def test_an_unusable_database_url_is_named_once_with_its_password_masked(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    missing = make_url(postgres_url).set(database="todo_no_such_db", password="canary-pw")
    settings = make_settings(missing.render_as_string(hide_password=False))
    caplog.set_level(logging.INFO, logger="todo_api")
    async with serving(settings) as (_, client):
        for _ in range(3):
            response = await client.get(TASKS)
            assert response.status_code == 503
            assert response.json()["code"] == "BACKEND_UNAVAILABLE"
        assert (await client.get("/health/ready")).status_code == 503
    lines = service_lines(caplog)
    assert len(lines) == 1, lines
    assert lines[0].startswith("ERROR database failing: database does not exist (connection ")
    assert 'database "todo_no_such_db" does not exist' in lines[0]
    assert lines[0].endswith(":***@127.0.0.1:5432/todo_no_such_db")
    assert "canary-pw" not in caplog.text


async def test_a_readiness_probe_cut_at_its_deadline_is_logged_once_as_a_timeout(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The probe's own deadline cuts its connection; that cut is the timeout, not a lost link."""
    server = make_url(postgres_url)
    await migrate(make_settings(postgres_url))
    async with TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        caplog.set_level(logging.INFO, logger="todo_api")
        url = with_host_and_port(postgres_url, "127.0.0.1", proxy.port)
        async with serving(make_settings(url)) as (_, client):
            proxy.hang()
            assert (await client.get("/health/ready")).status_code == 503
            await asyncio.sleep(1)  # the cut probe finishes after the answer
    errors = [line for line in service_lines(caplog) if line.startswith("ERROR")]
    assert len(errors) == 1, errors
    assert errors[0].startswith("ERROR database failing: timeout ("), errors


async def test_readiness_answers_within_2_seconds_when_connecting_hangs(postgres_url: str) -> None:
    """The connect timeout (3 s by default) must not stretch the probe's 2 s."""
    server = make_url(postgres_url)
    await migrate(make_settings(postgres_url))
    async with TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        proxy.hang()
        url = with_host_and_port(postgres_url, "127.0.0.1", proxy.port)
        async with serving(make_settings(url)) as (_, client):
            started = time.perf_counter()
            ready = await client.get("/health/ready")
            seconds = time.perf_counter() - started
            assert ready.status_code == 503
            assert seconds < MAX_READINESS_SECONDS, f"took {seconds:.2f} s"
            await proxy.forward()
            assert (await client.get("/health/ready")).status_code == 200


async def test_a_database_that_stops_answering_mid_request_is_logged_as_a_timeout(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The request deadline cuts the connection; the log names the deadline, not a lost one."""
    server = make_url(postgres_url)
    await migrate(make_settings(postgres_url))
    async with TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        url = with_host_and_port(postgres_url, "127.0.0.1", proxy.port)
        async with serving(make_settings(url, db_request_timeout_seconds=1)) as (_, client):
            assert (await client.get(TASKS)).status_code == 200  # a warm pooled connection
            caplog.set_level(logging.INFO, logger="todo_api")
            proxy.hang()
            assert (await client.get(TASKS)).status_code == 503
            await proxy.forward()
            assert (await client.get(TASKS)).status_code == 200
    assert service_lines(caplog) == [
        "ERROR database failing: timeout (no answer within DB_REQUEST_TIMEOUT_SECONDS 1 s); "
        "DATABASE_URL=" + make_settings(url).shown_database_url,
        "WARNING database answering again (after: timeout)",
    ]


async def test_stopping_the_app_leaves_no_readiness_probe_running(postgres_url: str) -> None:
    """A probe still waiting on a silent network is cancelled with the pool, not left to
    open a connection after the app is gone."""
    server = make_url(postgres_url)
    async with TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        proxy.hang()
        url = with_host_and_port(postgres_url, "127.0.0.1", proxy.port)
        async with serving(make_settings(url)) as (_, client):
            assert (await client.get("/health/ready")).status_code == 503
        probes = [
            task
            for task in asyncio.all_tasks()
            if getattr(task.get_coro(), "__qualname__", "") == "Readiness._probe"
        ]
        assert probes == []
