"""What is wrong with the database, in one line an operator can act on: a wrong password, a
refused connection, a missing table and a full disk all answer 503; the log tells them apart."""

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import exc

from todo_api.errors import DatabaseUnavailable, DatabaseWritesUnavailable, SchemaBehind
from todo_api.settings_display import mask_database_url

# The driver's wording -> the cause an operator looks for. First match wins, so specific
# wordings come first (`too many connections for role "app"` is not a missing role; `SSL
# connection has been closed unexpectedly` is a dropped connection, not a TLS set-up problem).
_CAUSES: dict[str, tuple[str, ...]] = {
    "wrong password": ("password authentication failed",),
    "no password in DATABASE_URL": ("no password supplied",),
    "refused by the server's pg_hba.conf": ("pg_hba.conf",),
    "connection refused": ("connection refused",),
    "too many connections": ("too many clients", "too many connections", "remaining connection"),
    "connection lost": (
        "server closed the connection",
        "terminating connection",
        "connection reset",
        "closed unexpectedly",
        "eof detected",
    ),
    "permission denied": ("permission denied",),  # `for database "x"`: no CONNECT privilege
    "database does not exist": ('database "',),  # `FATAL: database "x" does not exist`
    "role does not exist": ('role "',),
    "TLS": ("ssl", "certificate"),
    "host name not found": ("resolve host", "name or service not known"),
    "timeout": ("timeout expired", "timed out"),
    "statement timeout (DB_STATEMENT_TIMEOUT_MS)": ("statement timeout",),
}
# SQLSTATEs (and SQLite's wording) for a table or column the statements expect but the
# database lacks: a database behind this version's migrations.
_UNDEFINED_TABLE_OR_COLUMN = frozenset({"42P01", "42703"})
_SQLITE_SCHEMA_MESSAGES = ("no such table", "no such column", "has no column named")
# SQLSTATEs of a database that answers reads but refuses writes.
_WRITES_REFUSED = {"25006": "database is read-only", "53100": "database storage is full"}
# Errors that mean "the database is not answering", as opposed to a bug in a statement.
_UNAVAILABLE_ERRORS = (exc.OperationalError, exc.InterfaceError, ConnectionError)
_MAX_DETAIL_CHARACTERS = 300
_WHITESPACE = re.compile(r"\s+")
_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DatabaseProblem:
    kind: Literal["unavailable", "schema", "writes"]
    cause: str  # what changed is judged by this: "wrong password", "connection refused"...
    detail: str  # the driver's one line, secrets masked

    def describe(self) -> str:
        if self.kind == "schema":
            return f"database schema is behind this version ({self.detail}): run `todo-api migrate`"
        if self.kind == "writes":
            return f"{self.cause}: writes refused, reads still served ({self.detail})"
        return f"database failing: {self.cause} ({self.detail})"

    def as_error(self) -> DatabaseUnavailable:
        if self.kind == "schema":
            return SchemaBehind()
        return DatabaseWritesUnavailable() if self.kind == "writes" else DatabaseUnavailable()


def one_line(text: str, secrets: Iterable[str]) -> str:
    """The first line of a driver message, whitespace collapsed, URLs and secrets masked."""
    line = _WHITESPACE.sub(" ", text.strip().split("\n", 1)[0]).strip()
    line = _URL.sub(lambda match: mask_database_url(match.group(0)), line)
    for secret in secrets:
        line = line.replace(secret, "***")
    return line[:_MAX_DETAIL_CHARACTERS]


def diagnose(error: BaseException, secrets: Iterable[str]) -> DatabaseProblem | None:
    """The database problem behind `error`, or None when it is not one (a bug: a 500)."""
    original = (error.orig if isinstance(error, exc.DBAPIError) else None) or error
    message = str(original)
    sqlstate = getattr(original, "sqlstate", None)
    sqlite = type(original).__module__.startswith("sqlite3")
    if sqlstate in _UNDEFINED_TABLE_OR_COLUMN or (
        sqlite and any(text in message for text in _SQLITE_SCHEMA_MESSAGES)
    ):
        return DatabaseProblem("schema", "schema", one_line(message, secrets))
    if cause := _WRITES_REFUSED.get(sqlstate or ""):
        return DatabaseProblem("writes", cause, one_line(message, secrets))
    if isinstance(error, exc.TimeoutError):
        detail = "no pooled connection came free within DB_POOL_TIMEOUT_SECONDS"
        return DatabaseProblem("unavailable", "pool exhausted", detail)
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return DatabaseProblem("unavailable", "timeout", "no answer in time")
    invalidated = isinstance(error, exc.DBAPIError) and error.connection_invalidated
    if not (invalidated or isinstance(error, _UNAVAILABLE_ERRORS)):
        return None
    lowered = message.lower()
    named = (cause for cause, needles in _CAUSES.items() if any(n in lowered for n in needles))
    cause = next(named, type(original).__name__)
    return DatabaseProblem("unavailable", cause, one_line(message, secrets) or cause)


def deadline_passed(limit: str, seconds: float) -> DatabaseProblem:
    return DatabaseProblem("unavailable", "timeout", f"no answer within {limit} {seconds:g} s")
