"""CORS: configured browser origins may send the token and read the useful headers."""

from pathlib import Path

import httpx

from tests.conftest import make_settings
from todo_api.main import create_app

ORIGIN = "http://localhost:3000"


async def test_preflight_from_a_configured_origin_allows_the_authorization_header(
    tmp_path: Path,
) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'cors.sqlite3'}", cors_origins=[ORIGIN]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        allowed = await client.options(
            "/api/v1/alice/tasks",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
            },
        )
        refused = await client.options(
            "/api/v1/alice/tasks",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        simple = await client.get("/health", headers={"Origin": ORIGIN})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in refused.headers
    exposed = simple.headers["access-control-expose-headers"].lower()
    assert {"etag", "location", "x-total-count", "x-request-id"} <= {
        name.strip() for name in exposed.split(",")
    }
