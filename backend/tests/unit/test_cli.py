"""The `todo-api` command: development tokens, migrations and the OpenAPI document."""

import gc
import json
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET, make_settings
from tests.support.api_process import free_port
from tests.support.databases import sqlite_url
from todo_api.auth.token_verifier import TokenVerifier
from todo_api.cli import create_served_app, main
from todo_api.db.schema_state import packaged_revisions
from todo_api.main import create_app

CONTRACT = Path(__file__).resolve().parents[3] / "specs" / "contracts" / "openapi.json"


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env is read, no database file left behind
    for name in ("DATABASE_URL", "BETTER_AUTH_URL", "JWT_JWKS_URL", "ENVIRONMENT", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)


async def test_token_prints_a_token_the_api_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRET", TEST_SECRET)
    assert main(["token", "alice_1", "--ttl", "60"]) == 0
    token = capsys.readouterr().out.strip()
    verifier = TokenVerifier(shared_secret=TEST_SECRET, jwks=None, issuer=None, audience=None)
    assert (await verifier.verify(token)).user_id == "alice_1"


def test_token_needs_a_shared_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BETTER_AUTH_URL", "http://localhost:3000")  # JWKS only: no secret
    assert main(["token", "alice"]) == 2
    assert "BETTER_AUTH_SECRET" in capsys.readouterr().err


def test_token_lives_no_longer_than_the_api_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRET", TEST_SECRET)
    monkeypatch.setenv("MAX_CREDENTIAL_LIFETIME_SECONDS", "3600")
    assert main(["token", "alice", "--ttl", "3601"]) == 2
    assert "MAX_CREDENTIAL_LIFETIME_SECONDS" in capsys.readouterr().err
    assert main(["token", "alice", "--ttl", "3600"]) == 0


def test_invalid_configuration_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("BETTER_AUTH_SECRET", "too-short")
    assert main(["token", "alice"]) == 2
    assert "invalid configuration" in capsys.readouterr().err


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


@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_a_database_url_with_a_port_that_is_not_a_number_is_a_configuration_error(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:canary-pw@db.example.com:abc/todo")
    assert main([command]) == 2
    output = capsys.readouterr()
    assert output.err == (
        "invalid configuration:\n  DATABASE_URL: DATABASE_URL is not a valid URL: its port "
        "must be a number from 1 to 65535\n"
    )
    assert "canary-pw" not in output.out + output.err


def test_a_configuration_error_names_the_rule_never_the_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("BETTER_AUTH_SECRET", "canary-too-short")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:canary-pw@db.example.com/todo")
    assert main(["serve"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("invalid configuration:\n  BETTER_AUTH_SECRET must be at least 32")
    for leak in ("canary", "input_value", "Value error"):
        assert leak not in error


def test_openapi_prints_the_committed_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["openapi"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(CONTRACT.read_text())


async def test_only_the_process_serve_starts_tunes_the_garbage_collector(tmp_path: Path) -> None:
    settings = make_settings(sqlite_url(tmp_path))
    thresholds = gc.get_threshold()
    try:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            assert (gc.get_threshold(), gc.get_freeze_count()) == (thresholds, 0)
        served = create_served_app(settings)
        async with served.router.lifespan_context(served):
            assert gc.get_threshold() != thresholds
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
