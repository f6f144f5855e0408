"""The Next.js reference client (examples/nextjs): built once, started with `next start`.

Needs node and npm; where they are missing the reference-client tests skip with the reason,
unless REQUIRE_REFERENCE_CLIENT=1 (CI) asks for a failure instead.
"""

import asyncio
import contextlib
import os
import shutil
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.support.requirements import missing

APP_DIR = Path(__file__).resolve().parents[3] / "examples" / "nextjs"
NEXT = APP_DIR / "node_modules" / ".bin" / "next"
INSTALL_TIMEOUT_SECONDS = 300
BUILD_TIMEOUT_SECONDS = 600  # two shared cores: a cold `next build` takes one to two minutes
START_TIMEOUT_SECONDS = 60


def app_environment(**settings: str) -> dict[str, str]:
    """A minimal environment for npm and Next.js: no proxies or stray settings leak in."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(Path.home()),  # npm keeps its cache there
        "NEXT_TELEMETRY_DISABLED": "1",
    }
    environment.update(settings)
    return environment


def require_node() -> None:
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            missing(
                f"`{tool}` is not on PATH for the Next.js reference client",
                required_by="REQUIRE_REFERENCE_CLIENT",
            )


async def _run(command: list[str], environment: dict[str, str], limit_seconds: float) -> str:
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=APP_DIR,
        env=environment,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), limit_seconds)
    except TimeoutError:
        _kill_group(process)
        await process.wait()
        raise AssertionError(f"{' '.join(command)} took over {limit_seconds} s") from None
    assert process.returncode == 0, f"{' '.join(command)}:\n{output.decode(errors='replace')}"
    return output.decode(errors="replace")


async def build_app(environment: dict[str, str]) -> None:
    """`npm ci` when node_modules is missing or older than the lock file (CI's .ci/run has
    run it), then `npm run build`:
    types from specs/contracts/openapi.json, `tsc --noEmit`, `next build`."""
    if _needs_install():
        await _run(["npm", "ci", "--no-audit", "--no-fund"], environment, INSTALL_TIMEOUT_SECONDS)
    await _run(["npm", "run", "build"], environment, BUILD_TIMEOUT_SECONDS)


async def run_unit_tests(environment: dict[str, str]) -> str:
    """`npm test` (node's test runner over the app's own modules), after `npm ci` if needed;
    its output (TAP), once it has passed."""
    if _needs_install():
        await _run(["npm", "ci", "--no-audit", "--no-fund"], environment, INSTALL_TIMEOUT_SECONDS)
    return await _run(["npm", "test"], environment, INSTALL_TIMEOUT_SECONDS)


def _needs_install() -> bool:
    installed = APP_DIR / "node_modules" / ".package-lock.json"  # written by npm ci
    lock = APP_DIR / "package-lock.json"
    return (
        not NEXT.exists()
        or not installed.exists()
        or installed.stat().st_mtime < lock.stat().st_mtime
    )


@asynccontextmanager
async def running_app(
    environment: dict[str, str], port: int, log_path: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`next start` on 127.0.0.1:port until `/` answers; the whole process group stops after."""
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(NEXT),
            "start",
            "--hostname",
            "127.0.0.1",
            "--port",
            str(port),
            cwd=APP_DIR,
            env=environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        await _wait_until_serving(process, f"http://127.0.0.1:{port}/", log_path)
        yield process
    finally:
        await _stop_group(process)


async def _wait_until_serving(
    process: asyncio.subprocess.Process, url: str, log_path: Path
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT_SECONDS
    async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
        while loop.time() < deadline:
            if process.returncode is not None:
                raise AssertionError(f"next start exited:\n{_log(log_path)}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise AssertionError(f"next start did not serve {url}:\n{_log(log_path)}")


def _log(log_path: Path) -> str:
    return log_path.read_text(errors="replace")


def _kill_group(process: asyncio.subprocess.Process, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


async def _stop_group(process: asyncio.subprocess.Process, grace_seconds: float = 10.0) -> None:
    _kill_group(process, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), grace_seconds)
    except TimeoutError:
        _kill_group(process)
        await process.wait()
