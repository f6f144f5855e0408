"""The embedded SQLite mode does not lose acknowledged writes on power loss or an OS crash."""

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import make_settings
from todo_api.main import create_app

SYNCHRONOUS_FULL = 2  # PRAGMA synchronous reads back as a number: 0 OFF, 1 NORMAL, 2 FULL


async def pragma(connection: AsyncConnection, name: str) -> object:
    return (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()


async def test_every_connection_of_the_app_syncs_each_commit_to_disk(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'durable.sqlite3'}"))
    async with app.router.lifespan_context(app):
        engine = app.state.database.engine
        # Two connections held at once are two physical connections: each must be set up.
        async with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                assert await pragma(connection, "synchronous") == SYNCHRONOUS_FULL
                assert await pragma(connection, "journal_mode") == "wal"
