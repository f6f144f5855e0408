"""The `todo-api` command: development tokens, migrations and the OpenAPI document."""

import json
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from todo_api.auth.token_verifier import TokenVerifier
from todo_api.cli import main

CONTRACT = Path(__file__).resolve().parents[3] / "specs" / "contracts" / "openapi.json"


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env is read, no database file left behind
    for name in ("DATABASE_URL", "BETTER_AUTH_URL", "JWT_JWKS_URL", "ENVIRONMENT"):
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


def test_invalid_configuration_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("BETTER_AUTH_SECRET", "too-short")
    assert main(["token", "alice"]) == 2
    assert "invalid configuration" in capsys.readouterr().err


def test_migrate_creates_the_schema(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "migrated.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    assert main(["migrate"]) == 0
    assert "latest migration" in capsys.readouterr().out
    assert database.stat().st_size > 0


def test_openapi_prints_the_committed_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["openapi"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(CONTRACT.read_text())
