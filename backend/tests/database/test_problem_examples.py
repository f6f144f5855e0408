"""Each documented error response shows an example of its own status, and validation
messages read as the API's sentences (no pydantic "Value error, " prefix)."""

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import ALICE

TASKS = f"/api/v1/{ALICE}/tasks"
PROBLEM = "application/problem+json"


def test_every_problem_response_has_an_example_of_its_own_status(app: FastAPI) -> None:
    seen = set()
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if PROBLEM not in response.get("content", {}):
                    continue
                example = response["content"][PROBLEM].get("example")
                assert example, f"{method} {path} {status}: no example"
                assert example["status"] == int(status), f"{method} {path} {status}"
                assert example["title"] == response["description"]
                seen.add((status, example["code"]))
    assert {
        ("404", "NOT_FOUND"),
        ("503", "BACKEND_UNAVAILABLE"),
        ("422", "VALIDATION_ERROR"),
    } <= seen


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("   ", "must contain a visible character"),
        ("nul\u0000", "must not contain NUL characters"),
    ],
)
async def test_validation_messages_have_no_pydantic_prefix(
    client: httpx.AsyncClient, title: str, message: str
) -> None:
    response = await client.post(TASKS, json={"title": title})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"loc": "body.title", "message": message}]
