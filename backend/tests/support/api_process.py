"""`todo-api serve` (or another server of this app) as a real child process on a free loopback
port, for end-to-end tests."""

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

SERVE_EXECUTABLE = Path(sys.executable).with_name("todo-api")


@dataclass(frozen=True, slots=True)
class ApiProcess:
    process: asyncio.subprocess.Process
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_environment(database_url: str, secret: str, **extra: str) -> dict[str, str]:
    """A minimal environment: nothing from ours (no proxies, no stray settings) leaks in."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "development",
        "BETTER_AUTH_SECRET": secret,
        "LOG_LEVEL": "WARNING",
    }
    environment.update(extra)
    return environment


@asynccontextmanager
async def running_api(
    environment: dict[str, str],
    workdir: Path,
    *,
    startup_timeout_seconds: float = 20.0,
    executable: Path = SERVE_EXECUTABLE,
    serve_arguments: Sequence[str] = (),
) -> AsyncIterator[ApiProcess]:
    """Start the server, wait until `/health` answers, and make sure it is gone afterwards.

    `executable` is this checkout's `todo-api` unless a test installed another one;
    `serve_arguments` are added to `serve` (e.g. `--workers 2`).
    """
    port = free_port()
    command = [str(executable), "serve", "--host", "127.0.0.1", "--port", str(port)]
    async with running_server(
        [*command, *serve_arguments], port, environment, workdir, startup_timeout_seconds
    ) as api:
        yield api


@asynccontextmanager
async def running_server(
    command: Sequence[str],
    port: int,
    environment: dict[str, str],
    workdir: Path,
    startup_timeout_seconds: float = 20.0,
) -> AsyncIterator[ApiProcess]:
    """Run `command`, a server of this app listening on `port` of 127.0.0.1, as `running_api`."""
    log_path = workdir / f"todo-api-{port}.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *command,
            env=environment,
            cwd=workdir,  # no `.env` from the repository is picked up
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    api = ApiProcess(process, port, log_path)
    try:
        await wait_until_healthy(api, startup_timeout_seconds)
        yield api
    finally:
        await stop(process)


async def stop(process: asyncio.subprocess.Process, grace_seconds: float = 10.0) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), grace_seconds)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def wait_until_healthy(api: ApiProcess, timeout_seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_seconds
    async with httpx.AsyncClient(base_url=api.base_url, timeout=1.0, trust_env=False) as client:
        while loop.time() < deadline:
            if api.process.returncode is not None:
                raise AssertionError(f"todo-api exited with {api.process.returncode}:\n{api.log()}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/health")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError(
        f"todo-api did not answer /health within {timeout_seconds} s:\n{api.log()}"
    )
