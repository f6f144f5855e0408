"""405 answers list, in `Allow`, every method the path is served with (RFC 9110), no more."""

import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import make_settings
from todo_api.main import create_app

CONTRACT = Path(__file__).resolve().parents[3] / "specs" / "contracts" / "openapi.json"
# Fixed, not random: it is in the test ids, which every pytest-xdist worker must see alike.
TASK_ID = uuid.UUID("0b7e6f0c-4d2a-4c43-9a55-3f1d2e8c9a10")
PROBED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
PAGE = {"GET", "HEAD"}  # HEAD is served wherever GET is (RFC 9110)
EXPECTED_METHODS: dict[str, set[str]] = {
    "/api/v1/alice/tasks": {"GET", "HEAD", "POST"},
    f"/api/v1/alice/tasks/{TASK_ID}": {"GET", "HEAD", "PUT", "DELETE"},
    f"/api/v1/alice/tasks/{TASK_ID}/complete": {"PATCH"},
    "/api/alice/tasks": {"GET", "HEAD", "POST"},
    f"/api/alice/tasks/{TASK_ID}": {"GET", "HEAD", "PUT", "DELETE"},
    f"/api/alice/tasks/{TASK_ID}/complete": {"PATCH"},
    "/health": PAGE,
    "/health/ready": PAGE,
    "/openapi.json": PAGE,
    "/docs": PAGE,
    "/docs/assets/swagger-ui-bundle.js": PAGE,
    "/docs/assets/favicon.png": PAGE,
}


@pytest.fixture(scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    database = tmp_path_factory.mktemp("allow") / "allow.sqlite3"
    application = create_app(make_settings(f"sqlite:///{database}"))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def allow_header(response: httpx.Response) -> set[str]:
    return {method.strip() for method in response.headers["allow"].split(",")}


@pytest.mark.parametrize("path", list(EXPECTED_METHODS))
async def test_every_refused_method_gets_405_naming_exactly_the_served_ones(
    client: httpx.AsyncClient, path: str
) -> None:
    expected = EXPECTED_METHODS[path]
    for method in PROBED_METHODS:
        response = await client.request(method, path)
        if method in expected:
            # Served (possibly refused for a missing token, never for the method).
            assert response.status_code != 405, (method, path)
            continue
        assert response.status_code == 405, (method, path, response.status_code)
        assert allow_header(response) == expected, (method, path)
        if method != "HEAD":
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "METHOD_NOT_ALLOWED"


def documented_paths() -> list[tuple[str, set[str]]]:
    document = json.loads(CONTRACT.read_text())
    return [
        (path, {method.upper() for method in operations})
        for path, operations in document["paths"].items()
    ]


@pytest.mark.parametrize(("template", "documented"), documented_paths())
async def test_allow_on_each_documented_path_names_its_documented_methods(
    client: httpx.AsyncClient, template: str, documented: set[str]
) -> None:
    path = re.sub(r"\{user_id\}", "alice", template).replace("{task_id}", str(TASK_ID))
    response = await client.options(path)
    assert response.status_code == 405
    assert allow_header(response) - {"HEAD"} == documented


async def test_with_cors_a_preflight_passes_and_a_plain_options_is_still_405(
    tmp_path: Path,
) -> None:
    origin = "http://localhost:3000"
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'cors.sqlite3'}", cors_origins=[origin]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        preflight = await client.options(
            "/api/v1/alice/tasks",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        plain = await client.options("/api/v1/alice/tasks", headers={"Origin": origin})
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert plain.status_code == 405
    assert allow_header(plain) == {"GET", "HEAD", "POST"}
