"""The `todo-api` command run in process, away from the developer's own settings."""

from pathlib import Path

import pytest


def isolate_from_environment(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    monkeypatch.chdir(directory)  # no stray .env is read, no database file left behind
    for name in ("DATABASE_URL", "BETTER_AUTH_URL", "JWT_JWKS_URL", "ENVIRONMENT", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
