"""The Neon guide's commands run as written, with bash, against a fresh PostgreSQL database in
place of Neon: the guide's placeholders (the Neon URL, the secret, the port, the checkout's
venv) are replaced by this test's values, nothing else."""

import asyncio
import contextlib
import os
import re
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import ALICE, TEST_SECRET, token_for
from tests.support.api_process import (
    SERVE_EXECUTABLE,
    ApiProcess,
    free_port,
    wait_until_healthy,
)
from tests.support.crud_roundtrip import exercise_crud
from tests.support.databases import fresh_postgres_database_or_skip
from tests.support.markdown_blocks import GUIDES, fenced_blocks

pytestmark = pytest.mark.slow

GUIDE = GUIDES / "neon.md"
STARTUP_TIMEOUT_SECONDS = 30.0


def replaced(block: str, pattern: str, value: str) -> str:
    """`block` with `pattern`'s one match replaced: a placeholder the guide no longer shows
    fails here, rather than the command running with the guide's sample value."""
    result, count = re.subn(pattern, lambda _: value, block, flags=re.M)
    assert count == 1, f"{pattern!r} matched {count} times in the guide's block:\n{block}"
    return result


def guide_block(database_url: str, port: int) -> str:
    (block,) = fenced_blocks(GUIDE.read_text(), "sh")
    block = replaced(block, r"(?<=^export DATABASE_URL=)'[^']*'", f"'{database_url}'")
    block = replaced(block, r"(?<=BETTER_AUTH_SECRET=)'<[^']*>'", f"'{TEST_SECRET}'")
    block = replaced(block, r"--port 8000\b", f"--port {port}")
    return block.replace(".venv/bin/todo-api", str(SERVE_EXECUTABLE))


@asynccontextmanager
async def running_block(block: str, port: int, workdir: Path) -> AsyncIterator[ApiProcess]:
    """bash runs the block until its last command serves; the whole group is stopped after."""
    log_path = workdir / "guide.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-e",
            "-o",
            "pipefail",
            "-c",
            block,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir)},
            cwd=workdir,  # no `.env` from the repository is picked up
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    api = ApiProcess(process, port, log_path)
    try:
        await wait_until_healthy(api, STARTUP_TIMEOUT_SECONDS)
        yield api
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        await asyncio.wait_for(process.wait(), STARTUP_TIMEOUT_SECONDS)


async def test_the_neon_guide_migrates_and_serves_as_written(tmp_path: Path) -> None:
    port = free_port()
    with fresh_postgres_database_or_skip() as database_url:
        block = guide_block(database_url, port)
        async with running_block(block, port, tmp_path) as api:
            async with httpx.AsyncClient(base_url=api.base_url, trust_env=False) as client:
                ready = await client.get("/health/ready", timeout=5.0)
            assert ready.status_code == 200, ready.text
            await exercise_crud(api.base_url, token_for(ALICE), ALICE)
            log = api.log()
    assert "applied 0001" in log, log  # the release step ran before the server
    assert "Started parent process" in log, log  # --workers 2: uvicorn supervises workers
