"""A create whose answer is lost, retried at once with its Idempotency-Key, makes one task.

A real `todo-api serve` reaches the database through a proxy that delays every packet, so a
round trip to the database takes 0.6 s; the client gives up after 0.4 s, while its create is
on its way, and sends it again straight away, as a client with a timeout does. Without a key
that makes two tasks (the control: the test can tell); with one, one task, and the retry is
answered with it. On PostgreSQL directly and through PgBouncer in transaction mode.
"""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import TEST_SECRET, token_for
from tests.support.api_process import ApiProcess, running_api, server_environment
from tests.support.databases import fresh_postgres_database_or_skip
from tests.support.pgbouncer import PgBouncer
from tests.support.postgres_admin import migrate_blocking, with_host_and_port
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow

USER = "retrying_user"
TASKS = f"/api/v1/{USER}/tasks"
BODY = {"title": "Buy milk", "description": "sent once, answered never"}
ONE_WAY_DELAY_SECONDS = 0.3
CLIENT_TIMEOUT_SECONDS = 0.4
# Generous: a retry may need a new connection, several round trips away.
PATIENT_SECONDS = 20.0


@pytest.fixture(params=["postgresql", "pgbouncer"])
async def distant_api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ApiProcess]:
    with fresh_postgres_database_or_skip() as url:
        migrate_blocking(url)
        server = make_url(url)
        upstream, extra = (server.host or "127.0.0.1", server.port or 5432), {}
        if request.param == "pgbouncer":
            bouncer: PgBouncer = request.getfixturevalue("pgbouncer")
            upstream, extra = ("127.0.0.1", bouncer.port), {"DB_PREPARED_STATEMENTS": "false"}
        async with TcpProxy(*upstream, one_way_delay_seconds=ONE_WAY_DELAY_SECONDS) as proxy:
            environment = server_environment(
                with_host_and_port(url, "127.0.0.1", proxy.port),
                TEST_SECRET,
                DB_CONNECT_TIMEOUT_SECONDS="10",
                DB_REQUEST_TIMEOUT_SECONDS="10",
                **extra,
            )
            async with running_api(environment, tmp_path, startup_timeout_seconds=60) as api:
                yield api


async def create_lost_then_retried(
    api: ApiProcess, headers: dict[str, str]
) -> tuple[httpx.Response, list[dict[str, object]]]:
    """The retry's answer, and the user's tasks afterwards."""
    async with httpx.AsyncClient(
        base_url=api.base_url,
        trust_env=False,
        timeout=PATIENT_SECONDS,
        headers={"Authorization": f"Bearer {token_for(USER)}"},
    ) as client:
        assert (await client.get(TASKS)).status_code == 200  # a pooled connection is ready
        with pytest.raises(httpx.ReadTimeout):
            await client.post(TASKS, json=BODY, headers=headers, timeout=CLIENT_TIMEOUT_SECONDS)
        retried = await client.post(TASKS, json=BODY, headers=headers)
        # The first create lands ~0.3 s after it was sent: wait for it whatever the outcome.
        settled = await client.get(TASKS)
        for _ in range(10):
            if len(settled.json()) >= 1 + (not headers):
                break
            settled = await client.get(TASKS)
        return retried, settled.json()


async def test_without_a_key_a_retried_create_makes_two_tasks(distant_api: ApiProcess) -> None:
    retried, tasks = await create_lost_then_retried(distant_api, {})
    assert retried.status_code == 201
    assert len(tasks) == 2


async def test_with_a_key_a_retried_create_makes_one_task_and_answers_it(
    distant_api: ApiProcess,
) -> None:
    retried, tasks = await create_lost_then_retried(
        distant_api, {"Idempotency-Key": "0b6c1f9e-retry-me"}
    )
    assert retried.status_code == 201, retried.text
    assert tasks == [retried.json()]
    assert retried.headers["etag"] == f'"{tasks[0]["updated_at"]}"'
