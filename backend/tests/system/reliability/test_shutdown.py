"""SIGTERM (a deploy, a scale-down) lets the request in flight finish, then exits cleanly.

The in-flight request is a POST whose body trickles in over about a second, so it is
certainly still running when the signal arrives.
"""

import asyncio
import json
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import ALICE, TEST_SECRET, token_for
from tests.support.api_process import ApiProcess, running_api, server_environment
from tests.support.databases import fresh_postgres_database_or_skip
from tests.support.postgres_admin import database_name, libpq_url, migrate, session_pids

pytestmark = pytest.mark.slow

TASKS = f"/api/v1/{ALICE}/tasks"
BODY_CHUNKS = 10
SECONDS_BETWEEN_CHUNKS = 0.1
EXIT_WITHIN_SECONDS = 10.0


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database_or_skip() as url:
        yield url


async def slow_post(api: ApiProcess, body: bytes, sigterm_after_chunk: int) -> bytes:
    """POST `body` a chunk at a time; send SIGTERM to the server mid-body; the raw answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
    head = (
        f"POST {TASKS} HTTP/1.1\r\nHost: 127.0.0.1:{api.port}\r\n"
        f"Authorization: Bearer {token_for(ALICE)}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode())
    chunk_size = -(-len(body) // BODY_CHUNKS)
    for n in range(BODY_CHUNKS):
        writer.write(body[n * chunk_size : (n + 1) * chunk_size])
        await writer.drain()
        if n == sigterm_after_chunk:
            api.process.send_signal(signal.SIGTERM)
        await asyncio.sleep(SECONDS_BETWEEN_CHUNKS)
    answer = await asyncio.wait_for(reader.read(), EXIT_WITHIN_SECONDS)
    writer.close()
    return answer


async def sessions_left_after(database: str, seconds: float) -> list[int]:
    """The database's sessions, once they are all gone or `seconds` have passed."""
    for _ in range(round(seconds / 0.1)):
        if not (pids := await session_pids(database)):
            return pids
        await asyncio.sleep(0.1)
    return await session_pids(database)


async def test_sigterm_mid_request_finishes_it_and_exits_cleanly(
    postgres_url: str, tmp_path: Path
) -> None:
    await migrate(postgres_url)
    database = database_name(postgres_url)
    task = {"title": "Written while shutting down", "description": "x" * 400}
    body = json.dumps(task).encode()

    environment = server_environment(postgres_url, TEST_SECRET, LOG_LEVEL="INFO")
    async with running_api(environment, tmp_path) as api:
        # Open some pooled connections first: shutdown must close them too.
        async with httpx.AsyncClient(base_url=api.base_url, trust_env=False) as client:
            headers = {"Authorization": f"Bearer {token_for(ALICE)}"}
            warm = await asyncio.gather(*(client.get(TASKS, headers=headers) for _ in range(4)))
        assert {response.status_code for response in warm} == {200}
        assert await session_pids(database), "the server should hold pooled connections"

        answer = await slow_post(api, body, sigterm_after_chunk=2)
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 201"), answer.decode(errors="replace")
        created = json.loads(rest.partition(b"\r\n\r\n")[2])
        assert {key: created[key] for key in task} == task

        exit_code = await asyncio.wait_for(api.process.wait(), EXIT_WITHIN_SECONDS)
        log = api.log()

    assert not await sessions_left_after(database, 5.0), "the pool was not closed on shutdown"
    # The write that was in flight is durable.
    async with await psycopg.AsyncConnection.connect(libpq_url(postgres_url)) as connection:
        cursor = await connection.execute(
            "SELECT title, description FROM tasks WHERE id = %s", (created["id"],)
        )
        assert await cursor.fetchall() == [(task["title"], task["description"])]
    # The signal was handled while the POST was still arriving, and the POST still completed.
    assert log.index("Shutting down") < log.index("POST /api/v1/{user_id}/tasks 201"), log
    # Last, so the checks above still run while this one fails: a supervisor (systemd,
    # Kubernetes, a process manager) must see a clean exit, not death by signal.
    assert exit_code == 0, f"exit code {exit_code}\n{log}"
