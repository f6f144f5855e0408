"""The docs page loads everything from the service itself (the browser test drives it)."""

import logging
import re
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings
from todo_api.main import create_app

# Every URL the page names in src="..." or href="...", and the document Swagger UI loads.
_REFERENCES = re.compile(r"""(?:src|href|url)\s*[=:]\s*["']([^"']+)["']""")


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'docs.sqlite3'}"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def docs_references(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/docs")
    assert response.status_code == 200
    return _REFERENCES.findall(response.text)


async def test_docs_page_names_only_urls_of_this_service(client: httpx.AsyncClient) -> None:
    urls = await docs_references(client)
    assert "/openapi.json" in urls
    for url in urls:
        assert url.startswith("/"), f"/docs loads {url} from outside the service"
        assert not url.startswith("//"), f"/docs loads {url} from another host"


async def test_every_asset_the_docs_page_names_is_served(client: httpx.AsyncClient) -> None:
    static = Path(str(resources.files("fastapi_offline").joinpath("static")))
    assets = [url for url in await docs_references(client) if url.startswith("/docs/assets/")]
    assert len(assets) == 3  # script, style sheet, favicon
    for url in assets:
        response = await client.get(url)
        assert response.status_code == 200, url
        name = url.split("?", 1)[0].rsplit("/", 1)[1]
        assert response.content == (static / name).read_bytes(), url
        assert "max-age" in response.headers["cache-control"]


async def test_swagger_ui_keeps_a_pasted_token_across_reloads(client: httpx.AsyncClient) -> None:
    html = (await client.get("/docs")).text
    assert '"persistAuthorization": true' in html


async def test_redoc_is_not_served(client: httpx.AsyncClient) -> None:
    # FastAPI's default /redoc loads ReDoc from a CDN, and ReDoc itself loads a logo from one.
    assert (await client.get("/redoc")).status_code == 404


async def test_docs_routes_stay_out_of_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith("/docs")]


async def test_an_asset_request_is_logged_with_its_fixed_path(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="todo_api.access")
    await client.get("/docs/assets/swagger-ui.css?v=1")
    await client.get("/docs/assets/no-such-file.js")
    lines = [record.getMessage() for record in caplog.records if record.name == "todo_api.access"]
    assert lines == ["GET /docs/assets/swagger-ui.css 200", "GET <unmatched> 404"]
