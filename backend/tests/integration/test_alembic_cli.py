"""Developers' `alembic upgrade head` from the repository root finds the packaged migrations."""

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
ALEMBIC = Path(sys.executable).with_name("alembic")


def alembic(*args: str, database_url: str) -> str:
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": database_url}
    completed = subprocess.run(  # noqa: S603 (the venv's alembic)
        [str(ALEMBIC), *args],
        cwd=REPO_ROOT,  # where alembic.ini is
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def test_upgrade_head_from_the_repository_root(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'developer.sqlite3'}"
    assert "(head)" not in alembic("current", database_url=url)
    alembic("upgrade", "head", database_url=url)
    assert "(head)" in alembic("current", database_url=url)
