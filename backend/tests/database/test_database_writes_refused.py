"""A database that answers reads but refuses writes (read-only, or its storage full): writes
get 503 with Retry-After and say so, reads keep working, and the log names the cause once."""

import logging
from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import ALICE, make_settings, serving
from tests.database.test_database_state import service_lines
from tests.support.databases import fresh_postgres_database_or_skip
from tests.support.postgres_admin import database_name, libpq_url, migrate

TASKS = f"/api/v1/{ALICE}/tasks"
STORAGE_FULL_ON_INSERT = """
CREATE FUNCTION storage_full() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100';
END $$;
CREATE TRIGGER storage_full BEFORE INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION storage_full();
"""


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database_or_skip() as url:
        yield url


def run_sql(url: str, sql: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


async def a_task_stored(url: str) -> str:
    await migrate(url)
    async with serving(make_settings(url)) as (_, client):
        created = await client.post(TASKS, json={"title": "Stored before"})
        assert created.status_code == 201, created.text
        return str(created.json()["id"])


async def assert_writes_refused_reads_served(url: str, task_id: str) -> None:
    async with serving(make_settings(url, db_retry_after_seconds=7)) as (_, client):
        for _ in range(3):
            refused = await client.post(TASKS, json={"title": "Buy milk"})
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] == "7"
            problem = refused.json()
            assert problem["code"] == "BACKEND_UNAVAILABLE"
            assert "Writes are unavailable" in problem["detail"]
            assert "reads keep working" in problem["detail"]
        listed = await client.get(TASKS)
        assert listed.status_code == 200, listed.text
        assert [task["id"] for task in listed.json()] == [task_id]
        assert (await client.get(f"{TASKS}/{task_id}")).status_code == 200
        assert (await client.get("/health/ready")).status_code == 200


async def test_a_read_only_database_refuses_writes_and_serves_reads(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    task_id = await a_task_stored(postgres_url)
    name = database_name(postgres_url)
    run_sql(postgres_url, f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    caplog.set_level(logging.INFO, logger="todo_api")
    await assert_writes_refused_reads_served(postgres_url, task_id)
    async with serving(make_settings(postgres_url)) as (_, client):
        toggled = await client.patch(f"{TASKS}/{task_id}/complete")
        assert toggled.status_code == 503, toggled.text
        assert (await client.delete(f"{TASKS}/{task_id}")).status_code == 503
    lines = service_lines(caplog)
    assert lines == [
        "ERROR database is read-only: writes refused, reads still served (cannot execute "
        "INSERT in a read-only transaction); DATABASE_URL="
        + make_settings(postgres_url).shown_database_url,
        # A fresh app (a new process) names it once more, on the first write it refuses.
        "ERROR database is read-only: writes refused, reads still served (cannot execute "
        "UPDATE in a read-only transaction); DATABASE_URL="
        + make_settings(postgres_url).shown_database_url,
    ]
    assert "Traceback" not in caplog.text
    assert "unhandled error" not in caplog.text


async def test_full_storage_refuses_writes_and_serves_reads(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    task_id = await a_task_stored(postgres_url)
    run_sql(postgres_url, STORAGE_FULL_ON_INSERT)
    caplog.set_level(logging.INFO, logger="todo_api")
    await assert_writes_refused_reads_served(postgres_url, task_id)
    assert service_lines(caplog) == [
        "ERROR database storage is full: writes refused, reads still served (could not extend "
        "file: No space left on device); DATABASE_URL="
        + make_settings(postgres_url).shown_database_url
    ]
    assert "Traceback" not in caplog.text
