"""The image built from the Dockerfile migrates a database, serves the API with its own
default command, answers its own health check and stops cleanly on SIGTERM.

It is built on a base made here from Debian's packages (no registry is reachable): kept in
buildah's storage as BASE_IMAGE and made only when missing. The project's image is built on
every run with --layers, so the steps whose inputs did not change come from buildah's cache.
"""

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from tests.conftest import ALICE, TEST_SECRET
from tests.support.api_process import ApiProcess, free_port, stop, wait_until_healthy
from tests.support.buildah import (
    ISOLATION,
    BuildahError,
    buildah,
    image_config,
    image_exists,
    image_id,
    image_size_bytes,
    run_command,
    unavailable_reason,
    working_container,
)
from tests.support.crud_roundtrip import exercise_crud
from tests.support.databases import fresh_postgres_database_or_skip
from tests.support.debian_base import BaseImageError, build_base_image
from tests.support.postgres_admin import libpq_url
from tests.support.process_tree import command_line, leaf_descendants
from tests.support.requirements import missing
from tests.support.run_summary import record

REQUIRE_CONTAINER = "REQUIRE_CONTAINER"

pytestmark = [pytest.mark.container, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[4]
BASE_IMAGE = "localhost/todo-api-test-base:bookworm"
IMAGE = "localhost/todo-api-test:latest"
BUILD_TIMEOUT_SECONDS = 900.0
RUN_TIMEOUT_SECONDS = 120.0
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_WITHIN_SECONDS = 15.0
# Docker's predefined build arguments: passed on when this machine reaches the index through
# a proxy, which the build's RUN steps then need too.
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")


def build_options() -> list[str]:
    """Lend the build this machine's CA bundle (and proxies), which the Dockerfile's ARGs take.

    Here the package index is reached through a TLS-intercepting egress whose CA is only in
    the system store; the Dockerfile leaves the ARGs unset unless a build passes them.
    """
    options: list[str] = []
    bundle = Path(os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt")
    if bundle.is_file():
        options += ["--volume", f"{bundle.parent}:{bundle.parent}:ro"]
        options += ["--build-arg", f"SSL_CERT_FILE={bundle}", "--build-arg", f"PIP_CERT={bundle}"]
    for name in PROXY_VARIABLES:
        if value := os.environ.get(name):
            options += ["--build-arg", f"{name}={value}"]
    return options


def ensure_base_image(workdir: Path) -> None:
    if image_exists(BASE_IMAGE):
        record(f"container: base image {BASE_IMAGE}: reused from buildah's storage")
        return
    if shutil.which("debootstrap") is None and not Path("/usr/sbin/debootstrap").exists():
        missing(
            "debootstrap is not installed (apt-get install debootstrap)",
            required_by=REQUIRE_CONTAINER,
        )
    started = time.monotonic()
    try:
        build_base_image(BASE_IMAGE, workdir)
    except (BaseImageError, BuildahError) as error:
        missing(
            f"the Debian base image could not be made here: {error}", required_by=REQUIRE_CONTAINER
        )
    record(
        f"container: base image {BASE_IMAGE}: made from Debian packages in "
        f"{time.monotonic() - started:.0f} s, {image_size_bytes(BASE_IMAGE) / 1e6:.0f} MB"
    )


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    if reason := unavailable_reason():
        missing(reason, required_by=REQUIRE_CONTAINER)
    ensure_base_image(tmp_path_factory.mktemp("base-image"))
    previous = image_id(IMAGE)
    started = time.monotonic()
    buildah(
        "build",
        "--isolation",
        ISOLATION,
        "--layers",
        "--format",  # Docker's format: OCI image configs have no HEALTHCHECK
        "docker",
        "--file",
        "Dockerfile",
        "--tag",
        IMAGE,
        "--build-arg",
        f"BASE_IMAGE={BASE_IMAGE}",
        *build_options(),
        ".",
        cwd=REPO_ROOT,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    elapsed = time.monotonic() - started
    if previous not in {None, image_id(IMAGE)}:
        # The image a code change replaced: its last layer is the whole venv. The layers
        # --layers caches stay, so that the next build reuses them.
        with contextlib.suppress(BuildahError):
            buildah("rmi", str(previous), timeout=120)
    size = image_size_bytes(IMAGE)
    record(
        f"container: image {IMAGE}: built in {elapsed:.1f} s; {size / 1e6:.0f} MB, "
        f"{(size - image_size_bytes(BASE_IMAGE)) / 1e6:.0f} MB of it on top of the base"
    )
    return IMAGE


@pytest.fixture
def container(image: str) -> Iterator[str]:
    with working_container(image) as name:
        yield name


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database_or_skip() as url:
        yield url


def default_command(config: Mapping[str, Any]) -> list[str]:
    """What a container runtime starts when given no command: ENTRYPOINT, then CMD."""
    return [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]


def health_check(config: Mapping[str, Any]) -> list[str]:
    test: list[str] = config["Healthcheck"]["Test"]
    assert test[0] == "CMD", f"the health check should be in exec form: {test}"
    return test[1:]


def run_in(
    container: str, argv: list[str], environment: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (buildah with our own arguments)
        run_command(container, argv, environment),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )


def output_of(container: str, argv: list[str], environment: Mapping[str, str]) -> str:
    completed = run_in(container, argv, environment)
    assert completed.returncode == 0, f"{argv}: {completed.stdout}{completed.stderr}"
    return completed.stdout


def has_tasks_table(url: str) -> bool:
    with psycopg.connect(libpq_url(url)) as connection:
        row = connection.execute("SELECT to_regclass('public.tasks') IS NOT NULL").fetchone()
    return row is not None and bool(row[0])


def main_process(runner_pid: int) -> int:
    """The container's own process under `buildah run`: what `docker stop` would signal.

    buildah does not pass signals on to the container (it kills it), so the test signals the
    process itself, as a container runtime signals the container's PID 1.
    """
    leaves = leaf_descendants(runner_pid)
    assert len(leaves) == 1, [command_line(pid) for pid in leaves]
    return leaves[0]


@asynccontextmanager
async def serving(
    container: str, command: list[str], environment: Mapping[str, str], log_path: Path
) -> AsyncIterator[ApiProcess]:
    """Run `command` in the container until it answers /health; never leave it running."""
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *run_command(container, command, environment),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    api = ApiProcess(process, int(environment["PORT"]), log_path)
    try:
        await wait_until_healthy(api, STARTUP_TIMEOUT_SECONDS)
        yield api
    finally:
        if process.returncode is None:
            for pid in leaf_descendants(process.pid):
                os.kill(pid, signal.SIGKILL)
        await stop(process)


@contextmanager
def mounted(container: str) -> Iterator[Path]:
    root = Path(buildah("mount", container, timeout=60).strip())
    try:
        yield root
    finally:
        buildah("umount", container, timeout=60)


async def test_migrates_serves_with_its_own_command_and_stops_on_sigterm(
    image: str, container: str, postgres_url: str, tmp_path: Path
) -> None:
    config = image_config(image)
    command = default_command(config)
    assert command, "the image has no default command"
    environment = {"DATABASE_URL": postgres_url, "BETTER_AUTH_SECRET": TEST_SECRET}

    # The release step, as a one-off container.
    assert "applied 0001" in output_of(container, ["todo-api", "migrate"], environment)
    assert has_tasks_table(postgres_url)
    token = output_of(container, ["todo-api", "token", ALICE], environment).strip()

    port = free_port()
    async with serving(
        container, command, environment | {"PORT": str(port)}, tmp_path / "serve.log"
    ) as api:
        checked = run_in(container, health_check(config), {"PORT": str(port)})
        assert checked.returncode == 0, checked.stderr
        await exercise_crud(api.base_url, token, ALICE)

        os.kill(main_process(api.process.pid), signal.SIGTERM)
        exit_code = await asyncio.wait_for(api.process.wait(), STOP_WITHIN_SECONDS)
        log = api.log()

    assert f"http://0.0.0.0:{port}" in log, log  # every interface, on $PORT
    assert "Application shutdown complete" in log, log
    assert exit_code == 0, f"exit code {exit_code}\n{log}"


def test_health_check_fails_when_nothing_answers(image: str, container: str) -> None:
    checked = run_in(container, health_check(image_config(image)), {"PORT": str(free_port())})
    assert checked.returncode != 0


def test_production_defaults_and_an_unprivileged_user(image: str, container: str) -> None:
    config = image_config(image)
    environment = dict(item.split("=", 1) for item in config["Env"])
    assert environment["ENVIRONMENT"] == "production"
    assert not {"BETTER_AUTH_SECRET", "DATABASE_URL"} & environment.keys()
    assert config["User"] not in {"", "root", "0"}
    assert output_of(container, ["id", "-u"], {}).strip() != "0"
    # Without a secret, production refuses to start instead of using the public one.
    refused = run_in(container, default_command(config), {"PORT": str(free_port())})
    assert refused.returncode != 0
    assert "BETTER_AUTH_SECRET" in refused.stdout + refused.stderr


def test_listens_where_the_space_front_matter_sends_traffic(image: str) -> None:
    """A Space routes to its `app_port`, and sets no PORT: the image's own must match it."""
    front_matter = (REPO_ROOT / "space" / "README.md").read_text().split("---")[1]
    app_port = yaml.safe_load(front_matter)["app_port"]
    config = image_config(image)
    environment = dict(item.split("=", 1) for item in config["Env"])
    assert environment["PORT"] == str(app_port)
    assert f"{app_port}/tcp" in config["ExposedPorts"]


def test_runtime_stage_holds_no_build_tools_or_caches(container: str) -> None:
    with mounted(container) as root:
        venv = root / "opt" / "todo-api"
        assert (venv / "bin" / "todo-api").is_file()
        leftovers = [
            path
            for path in (
                root / "root" / ".cache",
                root / "opt" / "uv",
                root / "src",
                venv / "bin" / "pip",
                venv / "bin" / "uv",
                root / "usr" / "bin" / "gcc",
                root / "usr" / "bin" / "cc",
            )
            if path.exists() or path.is_symlink()
        ]
        assert leftovers == []
