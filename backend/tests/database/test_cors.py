"""CORS: configured browser origins may send the token and read the useful headers."""

from pathlib import Path
from typing import ClassVar

import httpx
import pytest
import starlette.middleware.cors
from starlette.responses import PlainTextResponse

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


REFUSALS = [
    pytest.param({"Origin": "https://evil.example"}, "origin", id="origin"),
    pytest.param({"Access-Control-Request-Method": "PROPFIND"}, "method", id="method"),
    pytest.param({"Access-Control-Request-Headers": "x-unknown"}, "headers", id="headers"),
    pytest.param(
        {"Origin": "https://evil.example", "Access-Control-Request-Method": "PROPFIND"},
        "origin, method",
        id="origin-and-method",
    ),
]


class RewordedRefusal(PlainTextResponse):
    """Starlette's refusal in other words: what the problem says must not change with them."""

    made: ClassVar[int] = 0

    def __init__(self, content: str, status_code: int, headers: dict[str, str]) -> None:
        RewordedRefusal.made += 1
        text = content if status_code == 200 else "Requête CORS refusée"
        super().__init__(text, status_code=status_code, headers=headers)


@pytest.mark.parametrize("reworded", [False, True], ids=["starlette-text", "other-text"])
@pytest.mark.parametrize(("overrides", "refused"), REFUSALS)
async def test_a_refused_preflight_is_a_problem_naming_what_was_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    overrides: dict[str, str],
    refused: str,
    reworded: bool,
) -> None:
    if reworded:
        monkeypatch.setattr(starlette.middleware.cors, "PlainTextResponse", RewordedRefusal)
        monkeypatch.setattr(RewordedRefusal, "made", 0)
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'cors.sqlite3'}", cors_origins=[ORIGIN]))
    transport = httpx.ASGITransport(app=app)
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"} | overrides
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.options("/api/v1/alice/tasks", headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "access-control-allow-methods" in response.headers  # Starlette's CORS headers stay
    problem = response.json()
    assert problem["code"] == "BAD_REQUEST"
    assert problem["detail"] == f"The CORS preflight was refused: {refused} not allowed."
    assert RewordedRefusal.made == int(reworded)  # the refusal really was in other words
