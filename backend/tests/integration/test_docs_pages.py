"""The docs pages load everything from the service itself (the browser test drives them)."""

import logging
import re
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings
from todo_api.main import create_app

DOCS_PAGES = ["/docs", "/redoc"]
# Every URL a page names in src="..." or href="...", plus the spec URL Swagger UI fetches.
_REFERENCES = re.compile(r"""(?:src|href|url|spec-url)\s*[=:]\s*["']([^"']+)["']""")


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'docs.sqlite3'}"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def references(html: str) -> list[str]:
    return _REFERENCES.findall(html)


@pytest.mark.parametrize("page", DOCS_PAGES)
async def test_docs_page_names_only_urls_of_this_service(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    urls = references(response.text)
    assert urls, response.text
    for url in urls:
        assert url.startswith("/"), f"{page} loads {url} from outside the service"
        assert not url.startswith("//"), f"{page} loads {url} from another host"


@pytest.mark.parametrize("page", DOCS_PAGES)
async def test_every_asset_a_docs_page_names_is_served(
    client: httpx.AsyncClient, page: str
) -> None:
    static = Path(str(resources.files("fastapi_offline").joinpath("static")))
    html = (await client.get(page)).text
    assets = [url for url in references(html) if url.startswith("/docs/assets/")]
    assert len(assets) >= 2, html  # the script and the favicon at least
    for url in assets:
        response = await client.get(url)
        assert response.status_code == 200, url
        name = url.split("?", 1)[0].rsplit("/", 1)[1]
        assert response.content == (static / name).read_bytes(), url
        assert "max-age" in response.headers["cache-control"]


async def test_swagger_ui_keeps_a_pasted_token_across_reloads(client: httpx.AsyncClient) -> None:
    html = (await client.get("/docs")).text
    assert '"persistAuthorization": true' in html
    assert "url: '/openapi.json'" in html


async def test_docs_routes_stay_out_of_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith(("/docs", "/redoc"))]


async def test_an_asset_request_is_logged_with_its_fixed_path(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="todo_api.access")
    await client.get("/docs/assets/swagger-ui.css?v=1")
    await client.get("/docs/assets/no-such-file.js")
    paths = [record.getMessage() for record in caplog.records if record.name == "todo_api.access"]
    assert paths == ["GET /docs/assets/swagger-ui.css 200", "GET <unmatched> 404"]
