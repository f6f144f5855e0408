"""Process tuning belongs to the process `todo-api serve` starts, not to every app."""

import gc
from pathlib import Path

from tests.conftest import make_settings
from tests.support.databases import sqlite_url
from todo_api.cli import create_served_app
from todo_api.main import create_app


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
