"""`todo-api serve --workers 2` logs exactly like one worker: every request one JSON access
line with its request id, every line JSON, no terminal colour codes."""

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import ALICE, TEST_SECRET, token_for
from tests.support.api_process import SERVE_EXECUTABLE, running_api, server_environment
from tests.support.databases import sqlite_url

pytestmark = pytest.mark.slow

REQUESTS = 40


def access_lines(log: str) -> list[dict[str, object]]:
    entries = [json.loads(line) for line in log.splitlines() if line.strip()]
    return [entry for entry in entries if entry["logger"] == "todo_api.access"]


async def test_two_workers_log_one_json_access_line_per_request(tmp_path: Path) -> None:
    database = sqlite_url(tmp_path)
    environment = server_environment(
        database, TEST_SECRET, ENVIRONMENT="production", LOG_LEVEL="info"
    )
    # Migrated once beforehand: two workers starting together would race on it.
    migrate = await asyncio.create_subprocess_exec(
        SERVE_EXECUTABLE,
        "migrate",
        env=environment,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert await asyncio.wait_for(migrate.wait(), 60) == 0
    sent: list[str] = []
    async with (
        running_api(environment, tmp_path, serve_arguments=["--workers", "2"]) as api,
        httpx.AsyncClient(
            base_url=api.base_url,
            headers={"Authorization": f"Bearer {token_for(ALICE)}"},
            timeout=10,
            trust_env=False,
        ) as client,
    ):
        for number in range(REQUESTS):
            request_id = f"worker-test-{number}-{uuid.uuid4().hex[:8]}"
            sent.append(request_id)
            path = f"/api/v1/{ALICE}/tasks" if number % 2 else "/health"
            response = await client.get(path, headers={"X-Request-ID": request_id})
            assert response.status_code == 200, response.text
        await asyncio.sleep(0.5)  # let both workers write their last lines
        log = api.log()

    lines = [line for line in log.splitlines() if line.strip()]
    for line in lines:
        entry = json.loads(line)  # every line, uvicorn's own included, is JSON
        assert "color_message" not in entry, line
        assert "\x1b[" not in line
    logged = [str(entry["request_id"]) for entry in access_lines(log)]
    for request_id in sent:
        assert logged.count(request_id) == 1, f"{request_id}: {logged.count(request_id)} lines"
    assert "Started server process" in log, "uvicorn's lines go through the same handler"
    # Production: no development hint about minting tokens.
    assert "todo-api token" not in log
