"""The benchmark's raw baseline answers what the service answers, so the throughput ratios
compare the same work: the same task, the same page with its total."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from benchmarks import baseline_app
from tests.conftest import ALICE, TEST_SECRET, make_settings, serving, token_for
from tests.support.databases import fresh_postgres_database_or_skip
from todo_api.db.migrations import migrate_database


@asynccontextmanager
async def started_baseline() -> AsyncIterator[httpx.AsyncClient]:
    """The baseline through its ASGI lifespan (its pool opens there), and a client for it."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lifespan = asyncio.create_task(baseline_app.app({"type": "lifespan"}, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    started = await asyncio.wait_for(outbox.get(), timeout=30)  # its pool fails sooner
    assert started["type"] == "lifespan.startup.complete"
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=baseline_app.app),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {token_for(ALICE)}"},
        ) as client:
            yield client
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await lifespan


async def test_the_baseline_answers_a_task_and_a_page_as_the_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with fresh_postgres_database_or_skip() as url:
        settings = make_settings(url)
        async with serving(settings) as (app, service):
            await migrate_database(app.state.database.engine, settings)
            for number, description in enumerate(("a description", None, "")):
                body = {"title": f"Task {number}", "description": description}
                created = await service.post(f"/api/v1/{ALICE}/tasks", json=body)
            monkeypatch.setenv("DATABASE_URL", url.replace("postgresql+psycopg:", "postgresql:"))
            monkeypatch.setattr(baseline_app, "SECRET", TEST_SECRET)
            async with started_baseline() as baseline:
                task = f"/api/v1/{ALICE}/tasks/{created.json()['id']}"
                for path in (task, f"/api/v1/{ALICE}/tasks?limit=50"):
                    expected, answered = await service.get(path), await baseline.get(path)
                    assert answered.status_code == expected.status_code == 200
                    assert answered.json() == expected.json()
                    assert answered.headers.get("x-total-count") == expected.headers.get(
                        "x-total-count"
                    )
