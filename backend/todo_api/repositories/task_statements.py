"""Every SQL statement of the task repository, built once at import on the Core table (not the
ORM entity) so that no request rebuilds or ORM-compiles one (specs/performance.md). Each is
filtered by the `:owner` parameter, which only `TaskRepository` fills."""

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    not_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from todo_api.models.task import HAS_IDEMPOTENCY_KEY, Task
from todo_api.models.utc_datetime import UTCDateTime
from todo_api.schemas.task import TaskPublic

TASKS: Table = Task.__table__  # type: ignore[attr-defined]  # SQLModel sets it at class creation
_column = TASKS.c

# The public schema's fields decide which columns are read, in that order.
PUBLIC_FIELDS = tuple(TaskPublic.model_fields)
_PUBLIC_COLUMNS = tuple(_column[name] for name in PUBLIC_FIELDS)

_OWNED = _column.user_id == bindparam("owner")
_THIS_TASK = and_(_OWNED, _column.id == bindparam("task_id"))
_BY_COMPLETION = _column.is_completed == bindparam("completed")
# The version of a task is its updated_at: every write sets it anew.
_AT_ONE_OF_VERSIONS = _column.updated_at.in_(bindparam("versions", expanding=True))
_NOW = bindparam("now", type_=UTCDateTime())


def _page(*filters: ColumnElement[bool]) -> Select[Any]:
    """Newest first, each row carrying the total as an uncorrelated subquery, which
    PostgreSQL computes once: a page and its total cost one round trip."""
    return (
        select(*_PUBLIC_COLUMNS, _count(*filters).scalar_subquery())
        .where(*filters)
        .order_by(_column.created_at.desc(), _column.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _count(*filters: ColumnElement[bool]) -> Select[Any]:
    return select(func.count()).select_from(TASKS).where(*filters)


def _replace(*filters: ColumnElement[bool]) -> Executable:
    return (
        update(TASKS)
        .where(_THIS_TASK, *filters)
        .values(
            title=bindparam("new_title"),
            description=bindparam("new_description"),
            is_completed=bindparam("new_is_completed"),
            updated_at=_NOW,
        )
        .returning(*_PUBLIC_COLUMNS)
    )


def _insert_unless_key_taken(
    insert_into: Callable[[Table], postgresql.Insert | sqlite.Insert],
) -> Executable:
    """An insert that does nothing when the user already has a task made with its key. On
    PostgreSQL it waits for a concurrent insert of the key to commit (at once: each statement
    is its own transaction); SQLite runs one writer at a time."""
    return (
        insert_into(TASKS)
        .on_conflict_do_nothing(
            index_elements=[_column.user_id, _column.idempotency_key],
            index_where=HAS_IDEMPOTENCY_KEY,
        )
        .returning(*_PUBLIC_COLUMNS)
    )


def _toggle(*filters: ColumnElement[bool]) -> Executable:
    # One statement, so concurrent toggles serialise on the row lock and none is lost.
    return (
        update(TASKS)
        .where(_THIS_TASK, *filters)
        .values(is_completed=not_(_column.is_completed), updated_at=_NOW)
        .returning(*_PUBLIC_COLUMNS)
    )


def _delete(*filters: ColumnElement[bool]) -> Executable:
    return delete(TASKS).where(_THIS_TASK, *filters).returning(_column.id)


PAGE = _page(_OWNED)
PAGE_BY_COMPLETION = _page(_OWNED, _BY_COMPLETION)
COUNT = _count(_OWNED)
COUNT_BY_COMPLETION = _count(_OWNED, _BY_COMPLETION)
GET = select(*_PUBLIC_COLUMNS).where(_THIS_TASK)
EXISTS = select(_column.id).where(_THIS_TASK)
INSERT = insert(TASKS).returning(*_PUBLIC_COLUMNS)
# SQLAlchemy spells ON CONFLICT per dialect; the SQL is the same on both databases.
INSERT_UNLESS_KEY_TAKEN: Mapping[str, Executable] = {
    "postgresql": _insert_unless_key_taken(postgresql.insert),
    "sqlite": _insert_unless_key_taken(sqlite.insert),
}
CREATED_WITH_KEY = select(*_PUBLIC_COLUMNS, _column.request_fingerprint).where(
    _OWNED, _column.idempotency_key == bindparam("idempotency_key")
)
REPLACE = _replace()
REPLACE_IF_VERSION = _replace(_AT_ONE_OF_VERSIONS)
TOGGLE = _toggle()
TOGGLE_IF_VERSION = _toggle(_AT_ONE_OF_VERSIONS)
DELETE = _delete()
DELETE_IF_VERSION = _delete(_AT_ONE_OF_VERSIONS)
