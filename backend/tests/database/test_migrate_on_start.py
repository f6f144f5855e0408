"""PostgreSQL is migrated when the app starts only if MIGRATE_ON_START opts in."""

from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import make_settings
from tests.support.databases import fresh_postgres_database_or_skip
from tests.support.postgres_admin import libpq_url
from todo_api.config import Settings
from todo_api.main import create_app


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database_or_skip() as url:
        yield url


def has_tasks_table(url: str) -> bool:
    with psycopg.connect(libpq_url(url)) as connection:
        row = connection.execute("SELECT to_regclass('public.tasks') IS NOT NULL").fetchone()
    assert row is not None
    return bool(row[0])


async def start_and_stop(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        pass


async def test_not_migrated_on_start_by_default(postgres_url: str) -> None:
    settings = make_settings(postgres_url)
    assert settings.migrate_on_start is False
    await start_and_stop(settings)
    assert not has_tasks_table(postgres_url)


async def test_migrated_on_start_when_asked(postgres_url: str) -> None:
    await start_and_stop(make_settings(postgres_url, migrate_on_start=True))
    assert has_tasks_table(postgres_url)


def test_off_by_default_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIGRATE_ON_START", raising=False)
    settings = Settings(
        _env_file=None,
        environment="production",
        better_auth_secret="x" * 40,
    )
    assert settings.migrate_on_start is False


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATE_ON_START", "true")
    assert Settings(_env_file=None).migrate_on_start is True
