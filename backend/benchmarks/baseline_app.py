"""The raw baseline, the floor the ratios are measured against: the task endpoints as a bare
ASGI app over psycopg's async pool, as a careful hand-written service would do them (see
specs/performance.md). Reads DATABASE_URL, BETTER_AUTH_SECRET and DB_PREPARED_STATEMENTS.
Serve: `uvicorn benchmarks.baseline_app:app`.
"""

# ruff: noqa: S608  (SQL from the constants below only; values are bound parameters)

import os
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import jwt
import orjson
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Reply = tuple[int, Any, list[tuple[bytes, bytes]]]

KEYS = ("id", "user_id", "title", "description", "is_completed", "created_at", "updated_at")
COLUMNS = ", ".join(KEYS)
OWNED = "WHERE user_id = %s AND id = %s"
RETURNING = f"RETURNING {COLUMNS}"
# The project's statements by hand, values bound. The page carries its total (one round
# trip); only a page past the end (no rows to carry it) needs COUNT.
COUNT = "SELECT count(*) FROM tasks WHERE {}"
LIST = (
    f"SELECT {COLUMNS}, ({COUNT}) AS total FROM tasks WHERE {{}} "
    "ORDER BY created_at DESC, id LIMIT %s OFFSET %s"
)
GET = f"SELECT {COLUMNS} FROM tasks {OWNED}"
INSERT = f"INSERT INTO tasks ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s) {RETURNING}"
TOGGLE = f"UPDATE tasks SET is_completed = NOT is_completed, updated_at = %s {OWNED} {RETURNING}"
PUT = (
    "UPDATE tasks SET title = %s, description = %s, is_completed = %s, updated_at = %s "
    f"{OWNED} {RETURNING}"
)
DELETE = f"DELETE FROM tasks {OWNED} RETURNING id"
ROUTE = re.compile(r"/api/v1/([A-Za-z0-9_-]{1,128})/tasks(?:/([^/]+)(/complete)?)?")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# orjson writes UTC timestamps with a "Z" like the project; `_utc` converts any other zone.
JSON_OPTIONS = orjson.OPT_UTC_Z
SECRET = os.environ.get("BETTER_AUTH_SECRET", "")
Pool = AsyncConnectionPool[AsyncConnection[Any]]
_pools: list[Pool] = []
_utc_session: list[bool] = []  # learnt once at start-up: does the database talk in UTC?


class HttpError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


def _task(row: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    return dict(zip(KEYS, row, strict=False))


def _utc(task: dict[str, Any]) -> dict[str, Any]:
    task["created_at"] = task["created_at"].astimezone(UTC)
    task["updated_at"] = task["updated_at"].astimezone(UTC)
    return task


def _one(row: tuple[Any, ...] | None, status: int = 200) -> Reply:
    if row is None:
        raise HttpError(404, "task not found")
    etag = f'"{(row[6] - EPOCH) // timedelta(microseconds=1)}"'.encode()
    task = _task(row) if _utc_session[0] else _utc(_task(row))
    return status, task, [(b"etag", etag)]


def _authorize(headers: list[tuple[bytes, bytes]], user_id: str) -> None:
    value = next((v for k, v in headers if k == b"authorization"), b"").decode("latin-1")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HttpError(401, "missing bearer token")
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.PyJWTError as error:
        raise HttpError(401, "invalid token") from error
    if claims.get("sub") != user_id:
        raise HttpError(403, "token is for another user")


def _fields(body: bytes, *, full: bool) -> tuple[str, str | None, bool]:
    try:
        data = orjson.loads(body)
        title = data["title"].strip()
        description = data["description"] if full else data.get("description")
        completed = data["is_completed"] if full else data.get("is_completed", False)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise HttpError(422, "invalid body") from error
    text_ok = 0 < len(title) <= 255 and (description is None or len(description) <= 2000)
    if not text_ok or not isinstance(completed, bool):
        raise HttpError(422, "invalid body")
    return title, description, completed


async def _list(conn: AsyncConnection[Any], user_id: str, query: bytes) -> Reply:
    params = parse_qs(query.decode("latin-1"))
    try:
        limit = int(params.get("limit", ["1000"])[0])
        offset = int(params.get("offset", ["0"])[0])
    except ValueError as error:
        raise HttpError(400, "bad paging") from error
    where, args = "user_id = %s", list[object]([user_id])
    if "completed" in params:
        where, args = where + " AND is_completed = %s", [*args, params["completed"][0] == "true"]
    cursor = await conn.execute(LIST.format(where, where), [*args, *args, limit, offset])
    rows = await cursor.fetchall()
    total = rows[0][-1] if rows else 0
    if not rows and offset > 0:
        cursor = await conn.execute(COUNT.format(where), args)
        total = (await cursor.fetchone() or (0,))[0]
    tasks = [_task(row) for row in rows]  # zip stops before the trailing total
    if not _utc_session[0]:
        tasks = [_utc(task) for task in tasks]
    return 200, tasks, [(b"x-total-count", str(total).encode())]


async def _route(
    conn: AsyncConnection[Any],
    method: str,
    path: str,
    user: str,
    task_id: str,
    query: bytes,
    body: bytes,
) -> Reply:
    now = datetime.now(UTC)
    if not task_id:
        if method == "GET":
            return await _list(conn, user, query)
        if method != "POST":
            raise HttpError(405, "method not allowed")
        title, description, completed = _fields(body, full=False)
        args = [uuid.uuid4(), user, title, description, completed, now, now]
        cursor = await conn.execute(INSERT, args)
        status, task, headers = _one(await cursor.fetchone(), 201)
        return status, task, [*headers, (b"location", f"{path}/{task['id']}".encode())]
    if method == "GET":
        return _one(await (await conn.execute(GET, [user, task_id])).fetchone())
    if method == "PATCH":
        return _one(await (await conn.execute(TOGGLE, [now, user, task_id])).fetchone())
    if method == "PUT":
        title, description, completed = _fields(body, full=True)
        cursor = await conn.execute(PUT, [title, description, completed, now, user, task_id])
        return _one(await cursor.fetchone())
    if method == "DELETE":
        cursor = await conn.execute(DELETE, [user, task_id])
        if await cursor.fetchone() is None:
            raise HttpError(404, "task not found")
        return 204, None, []
    raise HttpError(405, "method not allowed")


async def _handle(scope: Message, receive: Receive) -> Reply:
    match = ROUTE.fullmatch(scope["path"])
    if match is None:
        raise HttpError(404, "no such route")
    user, task_id, complete = match.groups()
    method = scope["method"]
    if (complete and method != "PATCH") or (method == "PATCH" and not complete):
        raise HttpError(405, "method not allowed")
    _authorize(scope["headers"], user)
    if task_id:
        try:
            task_id = str(uuid.UUID(task_id))
        except ValueError as error:
            raise HttpError(404, "task not found") from error
    body = await _read_body(receive) if method in {"POST", "PUT"} else b""
    path = scope["path"]
    async with _pools[0].connection() as conn:
        return await _route(conn, method, path, user, task_id or "", scope["query_string"], body)


async def _read_body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            # Autocommit: no BEGIN/COMMIT round trips. Prepared after 5 uses, or never (as
            # the project reads DB_PREPARED_STATEMENTS: off unless true).
            prepared = os.environ.get("DB_PREPARED_STATEMENTS", "").strip().lower() in {"true", "1"}
            options = {"autocommit": True, "options": "-c statement_timeout=5000"}
            options["prepare_threshold"] = 5 if prepared else None
            url = os.environ["DATABASE_URL"]
            pool = Pool(url, kwargs=options, min_size=10, max_size=15, timeout=3, open=False)
            await pool.open(wait=True)
            _pools.append(pool)
            async with pool.connection() as conn:
                _utc_session.append(conn.info.timezone.utcoffset(None) == timedelta(0))
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            for pool in _pools:
                await pool.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Message, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    try:
        status, payload, headers = await _handle(scope, receive)
    except HttpError as error:
        status, payload, headers = error.status, {"detail": str(error)}, []
    body = b"" if payload is None else orjson.dumps(payload, option=JSON_OPTIONS)
    if payload is not None:
        headers = [*headers, (b"content-type", b"application/json")]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
