"""One access line per request, in a shape log collectors can parse, and nothing secret in logs."""

import json
import logging
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from tests.conftest import ALICE, TEST_SECRET, token_for
from todo_api.logging_setup import json_lines_formatter

TASKS = f"/api/v1/{ALICE}/tasks"
TASK_TEMPLATE = "/api/v1/{user_id}/tasks/{task_id}"
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "request_id")
ClientFor = Callable[[str], httpx.AsyncClient]

# Distinctive enough that any appearance in a log line is a leak, not a coincidence.
SECRET_TITLE = "title-canary-7f3a91"
SECRET_DESCRIPTION = "description-canary-c0ffee42"
SECRET_REPLACEMENT = "replacement-canary-5eed"


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "todo_api.access"]


@pytest.fixture
def capture_everything(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG, SQLAlchemy's (which log statements and parameters) included."""
    caplog.set_level(logging.DEBUG)
    for name in (
        "sqlalchemy",
        "sqlalchemy.engine",
        "sqlalchemy.pool",
        "todo_api",
        "httpx",
        "psycopg",
        "aiosqlite",
    ):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


async def test_each_request_logs_one_access_line_with_its_route_template(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="todo_api.access")
    created = await client.post(TASKS, json={"title": "Logged"})
    task = f"{TASKS}/{created.json()['id']}"
    missing = f"{TASKS}/{uuid.uuid4()}"
    calls = [
        ("GET", TASKS, None, "/api/v1/{user_id}/tasks", 200),
        ("GET", task, None, TASK_TEMPLATE, 200),
        (
            "PUT",
            task,
            {"title": "x", "description": None, "is_completed": True},
            TASK_TEMPLATE,
            200,
        ),
        ("PATCH", f"{task}/complete", None, TASK_TEMPLATE + "/complete", 200),
        ("GET", missing, None, TASK_TEMPLATE, 404),
        ("POST", TASKS, {"title": ""}, "/api/v1/{user_id}/tasks", 422),
        ("DELETE", task, None, TASK_TEMPLATE, 204),
        ("GET", "/health", None, "/health", 200),
        ("GET", "/no/such/route", None, "<unmatched>", 404),
    ]
    for method, url, body, template, status in calls:
        caplog.clear()
        response = await client.request(method, url, json=body)
        assert response.status_code == status, response.text

        records = access_records(caplog)
        assert len(records) == 1, [record.getMessage() for record in records]
        record = records[0]
        assert record.levelno == logging.INFO
        assert record.method == method  # type: ignore[attr-defined]
        assert record.path == template  # type: ignore[attr-defined]
        assert record.status == status  # type: ignore[attr-defined]
        assert isinstance(record.duration_ms, float)  # type: ignore[attr-defined]
        assert 0 <= record.duration_ms < 10_000  # type: ignore[attr-defined]
        assert record.request_id == response.headers["x-request-id"]  # type: ignore[attr-defined]
        # The template, never the concrete ids: no user or task ids in access logs.
        assert ALICE not in record.getMessage()
        assert created.json()["id"] not in record.getMessage()


async def test_a_callers_request_id_is_logged_and_a_forged_one_is_replaced(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="todo_api.access")
    response = await client.get(TASKS, headers={"X-Request-ID": "trace-123.abc:def"})
    assert response.headers["x-request-id"] == "trace-123.abc:def"
    assert access_records(caplog)[-1].request_id == "trace-123.abc:def"  # type: ignore[attr-defined]

    caplog.clear()
    forged = "a" * 20 + " INFO fake log line"
    response = await client.get(TASKS, headers={"X-Request-ID": forged})
    replaced = access_records(caplog)[-1].request_id  # type: ignore[attr-defined]
    assert replaced == response.headers["x-request-id"] != forged
    assert "fake log line" not in caplog.text


async def test_json_lines_formatter_emits_one_parsable_object_per_record(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="todo_api.access")
    response = await client.post(TASKS, json={"title": 'quotes " and \\ and\nnewlines'})
    assert response.status_code == 201
    await client.get(f"{TASKS}/{uuid.uuid4()}")

    formatter = json_lines_formatter()
    records = access_records(caplog)
    lines = [formatter.format(record) for record in records]
    assert len(lines) == 2
    for line, record, (method, status) in zip(
        lines, records, [("POST", 201), ("GET", 404)], strict=True
    ):
        assert "\n" not in line
        entry = json.loads(line)
        # Every line starts alike, so a reader's eye (and a grep) finds the same place.
        assert list(entry)[:4] == ["time", "level", "logger", "message"]
        assert set(ACCESS_FIELDS) <= set(entry)
        assert datetime.fromisoformat(entry["time"]) == datetime.fromtimestamp(record.created, UTC)
        assert entry["logger"] == "todo_api.access"
        assert entry["level"] == "INFO"
        assert (entry["method"], entry["status"]) == (method, status)
        assert isinstance(entry["duration_ms"], float)
        assert isinstance(entry["request_id"], str)
        assert entry["request_id"]
    assert json.loads(lines[0])["request_id"] == response.headers["x-request-id"]


def test_json_lines_formatter_keeps_exceptions_on_one_line() -> None:
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        record = logging.getLogger("todo_api.test").makeRecord(
            "todo_api.test", logging.ERROR, __file__, 1, "failed: %s", ("x",), sys.exc_info()
        )
    line = json_lines_formatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "failed: x"
    assert entry["level"] == "ERROR"
    assert "ValueError: boom" in entry["exception"]


async def test_tokens_secrets_and_task_text_never_reach_the_logs(
    client_for: ClientFor, capture_everything: pytest.LogCaptureFixture
) -> None:
    token = token_for(ALICE)
    client = client_for(ALICE)
    created = await client.post(
        TASKS, json={"title": SECRET_TITLE, "description": SECRET_DESCRIPTION}
    )
    assert created.status_code == 201
    task = f"{TASKS}/{created.json()['id']}"
    replacement = {
        "title": SECRET_REPLACEMENT,
        "description": SECRET_DESCRIPTION,
        "is_completed": True,
    }
    assert (await client.put(task, json=replacement)).status_code == 200
    assert (await client.get(task)).status_code == 200
    assert (await client.get(TASKS)).status_code == 200
    assert (await client.patch(f"{task}/complete")).status_code == 200
    # Invalid input echoes nothing either: an over-long title, a forged token, a wrong user.
    too_long = await client.post(TASKS, json={"title": SECRET_TITLE * 30})
    assert too_long.status_code == 422
    forged_token = token[:-6] + "AAAAAA"
    forged = await client.get(TASKS, headers={"Authorization": f"Bearer {forged_token}"})
    assert forged.status_code == 401
    assert (await client_for("someone_else").get(TASKS)).status_code == 403
    assert (await client.delete(task)).status_code == 204

    assert access_records(capture_everything), "the access lines must have been captured"
    formatter = json_lines_formatter()
    output = capture_everything.text + "\n".join(
        formatter.format(record) for record in capture_everything.records
    )
    for secret in (
        token,
        forged_token,
        TEST_SECRET,
        SECRET_TITLE,
        SECRET_DESCRIPTION,
        SECRET_REPLACEMENT,
    ):
        assert secret not in output, f"{secret[:24]}... appears in the logs"
