"""Each domain error is answered from its entry in the problem table, a subclass like the
error it extends; an error the table does not know is a 500."""

import httpx
from fastapi import FastAPI

from todo_api.api.problems import install_problem_handlers
from todo_api.errors import DomainError, PreconditionFailed, TaskNotFound
from todo_api.schemas.problem import PROBLEM_TYPES, Problem, problem_type_of


class ArchivedTaskNotFound(TaskNotFound):
    """A subclass nobody listed."""


class Unlisted(DomainError):
    pass


def test_a_subclass_maps_like_its_parent() -> None:
    assert problem_type_of(ArchivedTaskNotFound()) is problem_type_of(TaskNotFound())
    assert problem_type_of(ArchivedTaskNotFound()).status == 404


def test_an_unlisted_error_is_a_500() -> None:
    assert problem_type_of(Unlisted("x")).status == 500


def test_every_code_is_in_the_problem_schema() -> None:
    description = Problem.model_fields["code"].description or ""
    assert all(kind.code in description for kind in PROBLEM_TYPES)


async def test_the_handler_answers_a_subclass_with_its_parents_status_and_code() -> None:
    app = FastAPI()
    install_problem_handlers(app, retry_after_seconds=1)

    @app.get("/archived")
    async def archived() -> None:
        raise ArchivedTaskNotFound()

    @app.get("/stale")
    async def stale() -> None:
        raise type("StaleTask", (PreconditionFailed,), {})()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        archived_answer = (await client.get("/archived")).json()
        stale_answer = (await client.get("/stale")).json()
    assert (archived_answer["status"], archived_answer["code"]) == (404, "NOT_FOUND")
    assert (stale_answer["status"], stale_answer["code"]) == (412, "PRECONDITION_FAILED")
