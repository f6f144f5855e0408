"""`todo-api migrate` on SQLite and against a PostgreSQL that is not there: what it prints,
and that no password ever is."""

from pathlib import Path

import pytest

from tests.support.api_process import free_port
from tests.support.cli_environment import isolate_from_environment
from todo_api.cli import main
from todo_api.db.schema_state import packaged_revisions


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_from_environment(monkeypatch, tmp_path)


def test_migrate_says_what_it_applied_then_that_nothing_was_needed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "migrated.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    assert main(["migrate"]) == 0
    first = capsys.readouterr().out
    assert "applied 0001 (create tasks table)" in first
    assert "no migration needed" not in first
    assert database.stat().st_size > 0

    assert main(["migrate"]) == 0
    second = capsys.readouterr().out
    assert "applied" not in second
    (head,) = packaged_revisions().heads
    assert f"no migration needed: the database is at {head}, the latest" in second


def test_migrate_needs_no_auth_settings_in_production(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("BETTER_AUTH_SECRET", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'production.sqlite3'}")
    assert main(["migrate"]) == 0
    assert "applied 0001" in capsys.readouterr().out


def test_a_failed_migration_prints_one_line_and_the_traceback_only_when_asked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://app:canary-pw@127.0.0.1:{free_port()}/todo")
    assert main(["migrate"]) == 1
    output = capsys.readouterr()
    assert output.err.startswith("todo-api migrate failed: database failing: connection refused (")
    assert output.err.count("\n") == 1, output.err
    assert "app:***@127.0.0.1" in output.out
    assert "canary-pw" not in output.out + output.err

    assert main(["migrate", "--verbose"]) == 1
    verbose = capsys.readouterr().err
    assert "Traceback (most recent call last)" in verbose
    assert verbose.splitlines()[-1].startswith("todo-api migrate failed: database failing")
    assert "canary-pw" not in verbose


def test_a_password_in_the_query_string_is_never_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """libpq takes the password from the query string too (`?password=...`)."""
    url = f"postgresql://app@127.0.0.1:{free_port()}/todo?sslmode=disable&password=canary-pw"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["migrate", "--verbose"]) == 1
    output = capsys.readouterr()
    assert output.out.startswith("migrating postgresql+psycopg://app@127.0.0.1:")
    assert "/todo?sslmode=disable&password=***" in output.out
    assert "canary-pw" not in output.out + output.err
