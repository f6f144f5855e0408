"""Schemathesis against the app's own OpenAPI document, in process, on PostgreSQL.

Every operation gets a few hundred generated requests that fit the schema (positive) and a
few hundred that break it (negative), sent with the path user's token, and every response
goes through all of Schemathesis's default checks: no 5xx, status codes, content types,
headers and bodies as documented, valid data accepted, invalid data rejected, auth not
ignored. Generation is derandomized, so a failure here reproduces on every run.
"""

import os
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.conftest import ALICE, make_settings, token_for
from tests.support.databases import fresh_postgres_database_or_skip
from tests.support.postgres_admin import migrate_blocking
from todo_api.main import create_app

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "300"))
LIVE_TASKS = 3
USER_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
IDEMPOTENCY_KEY_HEADER = "idempotency-key"
VALID_IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,255}")
TASKS = "/api/v1/{user_id}/tasks"
TASK = TASKS + "/{task_id}"
OPERATIONS = [
    ("GET", TASKS),
    ("POST", TASKS),
    ("GET", TASK),
    ("PUT", TASK),
    ("DELETE", TASK),
    ("PATCH", TASK + "/complete"),
]
HEALTH_OPERATIONS = [("GET", "/health"), ("GET", "/health/ready")]
# A positive request is well formed and carries the path user's own token, so the only
# refusals it may meet are "no such task" and "your If-Match is stale".
POSITIVE_STATUSES = ["2xx", "404", "412"]


@dataclass
class FuzzTarget:
    schema: OpenApiSchema
    headers: dict[str, str]
    live_tasks: list[str] = field(default_factory=list)

    def create_task(self) -> str:
        case = self.schema[TASKS]["POST"].Case(
            path_parameters={"user_id": ALICE},
            headers=dict(self.headers),
            body={"title": "Seeded for fuzzing", "description": "a live task"},
            media_type="application/json",
        )
        response = case.call()
        assert response.status_code == 201, response.text
        task_id: str = response.json()["id"]
        return task_id

    def aim(self, case: schemathesis.Case[Any]) -> str | None:
        """Send the case as the token's user, and (mostly) at a task that exists."""
        headers = case.headers
        key = headers.get(IDEMPOTENCY_KEY_HEADER) if headers is not None else None
        if headers is not None and isinstance(key, str) and VALID_IDEMPOTENCY_KEY.fullmatch(key):
            # Generated keys repeat across cases with other bodies, which is a 422
            # (IDEMPOTENCY_KEY_REUSED, the API working); a client makes one key per task.
            headers[IDEMPOTENCY_KEY_HEADER] = str(uuid.uuid4())
        parameters = case.path_parameters
        if parameters is None:
            return None
        if isinstance(parameters.get("user_id"), str) and USER_ID.fullmatch(parameters["user_id"]):
            parameters["user_id"] = ALICE
        generated = parameters.get("task_id")
        try:
            slot = uuid.UUID(str(generated)).int % (len(self.live_tasks) + 1)
        except ValueError:
            return None  # the task id itself is the broken part: leave it broken
        if slot == len(self.live_tasks):
            return None  # a task that does not exist: 404
        parameters["task_id"] = self.live_tasks[slot]
        return self.live_tasks[slot]

    def replace_if_deleted(
        self, case: schemathesis.Case[Any], task_id: str | None, status: int
    ) -> None:
        if task_id is not None and case.method == "DELETE" and status == 204:
            self.live_tasks[self.live_tasks.index(task_id)] = self.create_task()


@pytest.fixture(scope="module")
def fuzz_target() -> Iterator[FuzzTarget]:
    with fresh_postgres_database_or_skip() as url:
        migrate_blocking(url)
        app = create_app(make_settings(url))
        config = schemathesis.Config.from_dict(
            {"checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}}}
        )
        # Loading the schema starts the app's lifespan on Schemathesis's own event loop
        # thread; every request of the run then goes through that loop and its pool.
        schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
        try:
            target = FuzzTarget(schema, {"Authorization": f"Bearer {token_for(ALICE)}"})
            target.live_tasks = [target.create_task() for _ in range(LIVE_TASKS)]
            yield target
        finally:
            asgi.shutdown_lifespans()  # closes the pool before the database is dropped


def fuzz(target: FuzzTarget, method: str, path: str, mode: GenerationMode) -> Counter[int]:
    """Run the generated cases through every default check; the statuses they got."""
    operation = target.schema[path][method]
    strategy = operation.as_strategy(generation_mode=mode, headers=dict(target.headers))
    statuses: Counter[int] = Counter()

    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        print_blob=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @hypothesis.given(case=strategy)
    def run(case: schemathesis.Case[Any]) -> None:
        task_id = target.aim(case)
        # Passed again here so every check knows the credentials are explicit, not generated.
        response = case.call_and_validate(headers=dict(target.headers))
        statuses[response.status_code] += 1
        target.replace_if_deleted(case, task_id, response.status_code)

    run()
    return statuses


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_task_operation_survives_fuzzing(
    fuzz_target: FuzzTarget, method: str, path: str, mode: GenerationMode
) -> None:
    statuses = fuzz(fuzz_target, method, path, mode)
    # Not a run of nothing but 404s or 401s: the generated requests reached real tasks (or,
    # when negative, were refused for what they got wrong).
    expected = range(200, 300) if mode is GenerationMode.POSITIVE else (400, 422)
    assert any(status in expected for status in statuses), statuses


@pytest.mark.parametrize(
    ("method", "path"), HEALTH_OPERATIONS, ids=[p for _, p in HEALTH_OPERATIONS]
)
def test_health_operation_conforms(fuzz_target: FuzzTarget, method: str, path: str) -> None:
    assert set(fuzz(fuzz_target, method, path, GenerationMode.POSITIVE)) == {200}
