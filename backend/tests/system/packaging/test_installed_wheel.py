"""The wheel alone, installed into a fresh venv outside the repository, migrates and serves.

This is how a deployment runs the service (and how the container image installs it): no
checkout, no `alembic.ini`, an unrelated working directory. Files the app needs at run time
(the Alembic scripts) must travel inside the package for this to pass.
"""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ALICE, TEST_SECRET
from tests.support.api_process import running_api, server_environment
from tests.support.crud_roundtrip import exercise_crud
from tests.support.databases import fresh_postgres_database_or_skip
from tests.support.requirements import missing

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[4]
STEP_TIMEOUT_SECONDS = 300.0  # a cold uv cache downloads every dependency once


@dataclass(frozen=True, slots=True)
class InstalledWheel:
    venv: Path

    @property
    def todo_api(self) -> Path:
        return self.venv / "bin" / "todo-api"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def uv_executable() -> str:
    pinned = REPO_ROOT / ".tools" / "bin" / "uv"  # the Makefile's uv
    found = str(pinned) if pinned.exists() else shutil.which("uv")
    if found is None:
        missing("uv is not installed: run `make install`", required_by="REQUIRE_PACKAGING")
    return found


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(  # noqa: S603 (our own executables)
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_SECONDS,
        check=False,
    )
    assert completed.returncode == 0, (
        f"{' '.join(command)} exited with {completed.returncode}:\n"
        f"{completed.stdout}{completed.stderr}"
    )
    return completed.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> InstalledWheel:
    uv = uv_executable()
    root = tmp_path_factory.mktemp("wheel")
    uv_env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    uv_env["UV_PYTHON_DOWNLOADS"] = "never"

    run([uv, "build", "--wheel", "--out-dir", str(root / "dist")], cwd=REPO_ROOT, env=uv_env)
    (wheel,) = (root / "dist").glob("todo_api-*.whl")
    # The lock's versions, so this installs what the image and the checkout run.
    constraints = root / "constraints.txt"
    export = [uv, "export", "--locked", "--no-dev", "--no-emit-project", "--no-hashes"]
    constraints.write_text(run(export, cwd=REPO_ROOT, env=uv_env))
    venv = root / "venv"
    run([uv, "venv", "--quiet", str(venv), "--python", sys.executable], cwd=root, env=uv_env)
    install = [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
    run([*install, "--constraint", str(constraints), str(wheel)], cwd=root, env=uv_env)
    return InstalledWheel(venv)


@pytest.fixture
def empty_workdir(tmp_path: Path) -> Path:
    """Nothing from the repository here: no alembic.ini, no .env, no backend/."""
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    return workdir


def mint_token(installed: InstalledWheel, workdir: Path) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "BETTER_AUTH_SECRET": TEST_SECRET}
    return run([str(installed.todo_api), "token", ALICE], cwd=workdir, env=env).strip()


def test_the_venv_runs_the_wheel_not_the_checkout(
    installed: InstalledWheel, empty_workdir: Path
) -> None:
    locate = (
        "from todo_api.db.migrations import alembic_config; "
        "print(alembic_config().get_main_option('script_location'))"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    location = Path(run([str(installed.python), "-c", locate], cwd=empty_workdir, env=env).strip())
    assert location.is_relative_to(installed.venv)
    assert (location / "env.py").is_file()
    assert list((location / "versions").glob("0001_*.py"))


async def test_migrates_and_serves_postgresql(
    installed: InstalledWheel, empty_workdir: Path
) -> None:
    with fresh_postgres_database_or_skip() as url:
        env = server_environment(url, TEST_SECRET)
        migrated = run([str(installed.todo_api), "migrate"], cwd=empty_workdir, env=env)
        assert "applied 0001" in migrated
        token = mint_token(installed, empty_workdir)
        async with running_api(env, empty_workdir, executable=installed.todo_api) as api:
            await exercise_crud(api.base_url, token, ALICE)


async def test_serves_the_embedded_sqlite_default(
    installed: InstalledWheel, empty_workdir: Path
) -> None:
    env = server_environment("unused", TEST_SECRET)
    del env["DATABASE_URL"]  # the default: ./todo.sqlite3, migrated on start
    token = mint_token(installed, empty_workdir)
    async with running_api(env, empty_workdir, executable=installed.todo_api) as api:
        await exercise_crud(api.base_url, token, ALICE)
    assert (empty_workdir / "todo.sqlite3").stat().st_size > 0
