"""Started as most FastAPI apps are (plain `uvicorn --factory`), the service says at start-up
what it runs without; started by `todo-api serve`, it has nothing to say.

Against real processes in production mode: plain uvicorn (this checkout's) and the module's
`todo-api serve` (conftest's `api`).
"""

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.support.api_process import ApiProcess, free_port, running_server, server_environment
from tests.support.databases import sqlite_url
from tests.support.raw_http import exchange
from todo_api.server.without_serve import STARTED_WITHOUT_SERVE

UVICORN = Path(sys.executable).with_name("uvicorn")
OVER_THE_HEAD_LIMIT = (
    b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: " + b"p" * 40_000 + b"\r\n\r\n"
)


@pytest.fixture(scope="module")
async def plain_uvicorn(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ApiProcess]:
    workdir = tmp_path_factory.mktemp("plain-uvicorn")
    environment = server_environment(sqlite_url(workdir), TEST_SECRET, ENVIRONMENT="production")
    port = free_port()
    command = [str(UVICORN), "--factory", "todo_api.main:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    async with running_server(command, port, environment, workdir) as api:
        yield api


async def test_plain_uvicorn_says_once_what_it_runs_without(plain_uvicorn: ApiProcess) -> None:
    assert plain_uvicorn.log().count(STARTED_WITHOUT_SERVE) == 1, plain_uvicorn.log()
    # And it is true: a head over the limit, and a request without Host, are served.
    too_large = await asyncio.to_thread(exchange, plain_uvicorn.port, OVER_THE_HEAD_LIMIT)
    assert too_large.status == 200
    without_host = await asyncio.to_thread(
        exchange, plain_uvicorn.port, b"GET /health HTTP/1.1\r\nConnection: close\r\n\r\n"
    )
    assert without_host.status == 200
    assert plain_uvicorn.log().count(STARTED_WITHOUT_SERVE) == 1  # at start-up only


async def test_todo_api_serve_applies_them_and_says_nothing(api: ApiProcess) -> None:
    assert (await asyncio.to_thread(exchange, api.port, OVER_THE_HEAD_LIMIT)).status == 431
    assert STARTED_WITHOUT_SERVE not in api.log()
