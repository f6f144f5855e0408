"""The answers match the schemas the routes declare (checked on every answer of the in-process
clients, tests/support/declared_responses.py), and that check does catch a difference."""

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import ALICE
from tests.support.declared_responses import _route_of, assert_matches_declaration

TASKS = f"/api/v1/{ALICE}/tasks"
PROBLEM = "application/problem+json"
TASK = {
    "id": "6f1c2b7e-4d0a-4f7c-8e5b-6a3d2c1b0a99",
    "user_id": ALICE,
    "title": "milk",
    "description": None,
    "is_completed": False,
    "created_at": "2026-11-22T03:59:32.778656Z",
    "updated_at": "2026-11-22T03:59:32.778656Z",
}


def _answer(method: str, path: str, status: int, body: object, media_type: str) -> httpx.Response:
    request = httpx.Request(method, f"http://testserver{path}")
    return httpx.Response(status, json=body, headers={"content-type": media_type}, request=request)


@pytest.mark.parametrize(
    ("status", "body", "media_type"),
    [
        (200, {**TASK, "secret": "x"}, "application/json"),  # a field the schema lacks
        (200, {k: v for k, v in TASK.items() if k != "title"}, "application/json"),
        (200, {**TASK, "is_completed": "no"}, "application/json"),
        (200, TASK, PROBLEM),
        (
            409,
            {"title": "Conflict", "status": 409, "detail": "x", "code": "X"},
            "application/problem+json",
        ),
    ],
)
def test_the_check_refuses_an_answer_unlike_its_declaration(
    app: FastAPI, status: int, body: object, media_type: str
) -> None:
    path = f"{TASKS}/{TASK['id']}"
    route = _route_of(app, httpx.Request("GET", f"http://testserver{path}"))
    assert route is not None
    with pytest.raises(AssertionError):
        assert_matches_declaration(route, _answer("GET", path, status, body, media_type))


def test_the_check_accepts_the_declared_answer(app: FastAPI) -> None:
    path = f"{TASKS}/{TASK['id']}"
    route = _route_of(app, httpx.Request("GET", f"http://testserver{path}"))
    assert route is not None
    assert_matches_declaration(route, _answer("GET", path, 200, TASK, "application/json"))
