"""Database failures are named from the driver's message, secrets masked, and logged once
per change of state."""

import logging
import time

import psycopg
import pytest
from sqlalchemy import exc

from todo_api.db.failure_cause import DatabaseProblem, diagnose
from todo_api.db.readiness import WRITES_REFUSED_QUIET_SECONDS, DatabaseHealth
from todo_api.errors import DatabaseWritesUnavailable

SERVER = 'connection failed: connection to server at "10.0.0.5", port 5432 failed: '


def driver_error(message: str, error_type: type[Exception] = psycopg.OperationalError) -> Exception:
    """As SQLAlchemy hands it on: the driver's error wrapped in its own."""
    original = error_type(message)
    wrapper = exc.ProgrammingError if isinstance(original, psycopg.ProgrammingError) else None
    return (wrapper or exc.OperationalError)("SELECT 1", {}, original)


@pytest.mark.parametrize(
    ("message", "cause"),
    [
        (SERVER + 'FATAL:  password authentication failed for user "app"', "wrong password"),
        (
            SERVER + "Connection refused\n\tIs the server running on that host?",
            "connection refused",
        ),
        (SERVER + 'FATAL:  database "todo" does not exist', "database does not exist"),
        (SERVER + 'FATAL:  role "app" does not exist', "role does not exist"),
        (SERVER + "server does not support SSL, but SSL was required", "TLS"),
        (SERVER + "SSL error: certificate verify failed", "TLS"),
        (
            "failed to resolve host 'db.invalid': [Errno -2] Name or service not known",
            "host name not found",
        ),
        (SERVER + "timeout expired", "timeout"),
        (
            "canceling statement due to statement timeout",
            "statement timeout (DB_STATEMENT_TIMEOUT_MS)",
        ),
        (
            SERVER + "FATAL:  sorry, too many clients already",
            "too many connections",
        ),
        ("consuming input failed: server closed the connection unexpectedly", "connection lost"),
        (SERVER + 'FATAL:  too many connections for role "app"', "too many connections"),
        (SERVER + 'FATAL:  too many connections for database "todo"', "too many connections"),
        (
            SERVER + 'FATAL:  permission denied for database "todo"\nDETAIL:  User does not '
            "have CONNECT privilege.",
            "permission denied",
        ),
        # Neon (and any TLS proxy) dropping an idle connection: lost, not a TLS set-up problem.
        ("consuming input failed: SSL connection has been closed unexpectedly", "connection lost"),
        ("consuming input failed: SSL SYSCALL error: EOF detected", "connection lost"),
    ],
)
def test_the_cause_is_named_from_the_drivers_message(message: str, cause: str) -> None:
    problem = diagnose(driver_error(message), secrets=[])
    assert problem is not None
    assert (problem.kind, problem.cause) == ("unavailable", cause)
    assert "\n" not in problem.describe()
    assert problem.describe().startswith(f"database failing: {cause} (")


def test_secrets_and_url_passwords_in_a_message_are_masked() -> None:
    message = SERVER + "FATAL: no such user in postgresql://app:canary-pw@h/x (token canary-key)"
    problem = diagnose(driver_error(message), secrets=["canary-key"])
    assert problem is not None
    assert "canary" not in problem.describe()
    assert "app:***@h/x" in problem.describe()


def test_an_exhausted_pool_is_named() -> None:
    problem = diagnose(exc.TimeoutError("QueuePool limit of size 15 overflow 0 reached"), [])
    assert problem is not None
    assert problem.cause == "pool exhausted"
    assert "DB_POOL_TIMEOUT_SECONDS" in problem.describe()


@pytest.mark.parametrize(
    "error",
    [
        driver_error('relation "tasks" does not exist', psycopg.errors.UndefinedTable),
        driver_error('column "is_completed" does not exist', psycopg.errors.UndefinedColumn),
    ],
)
def test_a_missing_table_or_column_is_a_schema_problem(error: Exception) -> None:
    problem = diagnose(error, [])
    assert problem is not None
    assert problem.kind == "schema"
    assert problem.describe().endswith("run `todo-api migrate`")


def test_a_bug_is_not_a_database_problem() -> None:
    assert diagnose(driver_error("syntax error", psycopg.errors.SyntaxError), []) is None
    assert diagnose(ValueError("boom"), []) is None


def test_health_logs_once_per_change_of_state(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="todo_api.database")
    health = DatabaseHealth("postgresql+psycopg://app:***@h/x")
    refused = DatabaseProblem("unavailable", "connection refused", "refused")
    wrong_password = DatabaseProblem("unavailable", "wrong password", "password failed")
    for problem in [refused, refused, refused, wrong_password, wrong_password]:
        health.failing(problem)
    health.answering()
    health.answering()
    health.failing(refused)

    lines = [(record.levelname, record.getMessage()) for record in caplog.records]
    assert [level for level, _ in lines] == ["ERROR", "ERROR", "WARNING", "ERROR"]
    assert lines[0][1] == (
        "database failing: connection refused (refused); "
        "DATABASE_URL=postgresql+psycopg://app:***@h/x"
    )
    assert lines[1][1].startswith("database failing: wrong password")
    assert lines[2][1] == "database answering again (after: wrong password)"


@pytest.mark.parametrize(
    ("error_type", "cause"),
    [
        (psycopg.errors.ReadOnlySqlTransaction, "database is read-only"),
        (psycopg.errors.DiskFull, "database storage is full"),
    ],
)
def test_a_database_that_refuses_writes_is_named(error_type: type[Exception], cause: str) -> None:
    problem = diagnose(driver_error("refused", error_type), [])
    assert problem is not None
    assert (problem.kind, problem.cause) == ("writes", cause)
    assert isinstance(problem.as_error(), DatabaseWritesUnavailable)


def test_refused_writes_are_logged_again_only_after_a_quiet_spell(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="todo_api.database")
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    health = DatabaseHealth("postgresql+psycopg://app:***@h/x")
    read_only = DatabaseProblem("writes", "database is read-only", "read-only transaction")
    for _ in range(3):
        health.failing(read_only)
        now[0] += WRITES_REFUSED_QUIET_SECONDS / 2
    assert len(caplog.records) == 1
    assert health.problem is None  # reads keep working: not a failing database
    now[0] += WRITES_REFUSED_QUIET_SECONDS
    health.failing(read_only)
    assert [record.getMessage() for record in caplog.records] == [
        "database is read-only: writes refused, reads still served (read-only transaction); "
        "DATABASE_URL=postgresql+psycopg://app:***@h/x"
    ] * 2
