"""The `todo-api` command: development tokens, configuration errors and the OpenAPI document;
the migrate command, which needs a database, is tested in tests/database/test_cli_migrate.py."""

import json
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.support.auth_limits import verifier_limits
from tests.support.cli_environment import isolate_from_environment
from todo_api.auth.token_verifier import TokenVerifier
from todo_api.cli import main

CONTRACT = Path(__file__).resolve().parents[3] / "specs" / "contracts" / "openapi.json"


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_from_environment(monkeypatch, tmp_path)


async def test_token_prints_a_token_the_api_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRET", TEST_SECRET)
    assert main(["token", "alice_1", "--ttl", "60"]) == 0
    token = capsys.readouterr().out.strip()
    verifier = TokenVerifier(
        shared_secret=TEST_SECRET, jwks=None, issuer=None, audience=None, **verifier_limits()
    )
    assert (await verifier.verify(token)).user_id == "alice_1"


def test_token_needs_a_shared_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BETTER_AUTH_URL", "http://localhost:3000")  # JWKS only: no secret
    assert main(["token", "alice"]) == 2
    assert "BETTER_AUTH_SECRET" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["token", "bad/id"], ["token", "alice", "--ttl", "0"]])
def test_a_token_the_api_would_refuse_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRET", TEST_SECRET)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("todo-api token: ")
    assert len(captured.err.splitlines()) == 1


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
