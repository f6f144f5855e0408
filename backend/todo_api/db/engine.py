"""Engine construction: pool sizing, autocommit, prepared statements, dead-connection checks."""

import logging
import select
from typing import Any

import psycopg
from sqlalchemy import event, exc
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from todo_api.config import DatabaseSettings


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    _keep_task_text_out_of_driver_logs()
    if settings.is_sqlite:
        return _create_sqlite_engine(settings)
    return _create_postgres_engine(settings)


def _create_postgres_engine(settings: DatabaseSettings) -> AsyncEngine:
    connect_args: dict[str, Any] = {"connect_timeout": settings.db_connect_timeout_seconds}
    if not settings.uses_prepared_statements:
        connect_args["prepare_threshold"] = None  # psycopg never prepares
    engine = create_async_engine(
        settings.database_url,
        # Every service operation writes with at most one statement, so each statement is its
        # own transaction: no BEGIN or COMMIT round trips. Migrations ask for a transaction.
        isolation_level="AUTOCOMMIT",
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # Neon closes idle connections when it scales to zero: recycle before that.
        pool_recycle=settings.db_pool_recycle_seconds,
        pool_pre_ping=settings.db_pool_pre_ping,
        # Task text must not reach logs or error messages through bound parameters.
        hide_parameters=True,
        connect_args=connect_args,
    )

    @event.listens_for(engine.sync_engine, "checkout")
    def _refuse_closed_connection(_: DBAPIConnection, record: Any, __: Any) -> None:
        # Raising here makes the pool discard this connection and hand out another one.
        if _closed_by_server(record.driver_connection):
            raise exc.DisconnectionError("the server closed this pooled connection")

    return engine


def _closed_by_server(connection: psycopg.AsyncConnection[Any]) -> bool:
    # Nothing is pending on an idle connection, so a readable socket means the server closed
    # it (restart, `pg_terminate_backend`, Neon scaling to zero): no round trip, unlike pre-ping.
    if connection.closed or connection.broken:
        return True
    readable, _, _ = select.select([connection.fileno()], [], [], 0)
    return bool(readable)


def _create_sqlite_engine(settings: DatabaseSettings) -> AsyncEngine:
    engine = create_async_engine(
        settings.database_url,
        # As on PostgreSQL: each statement is its own transaction (see above).
        isolation_level="AUTOCOMMIT",
        hide_parameters=True,
        connect_args={"timeout": settings.db_pool_timeout_seconds},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _set_pragmas(dbapi_connection: DBAPIConnection, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers proceed during a write. FULL syncs the WAL on every commit: with
        # NORMAL, a power loss or OS crash may undo the last commits, a 201 the client saw.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return engine


def _above_debug(record: logging.LogRecord) -> bool:
    return record.levelno > logging.DEBUG


def _keep_task_text_out_of_driver_logs() -> None:
    # aiosqlite logs every statement with its parameters, and SQLAlchemy every result row, at
    # DEBUG: with LOG_LEVEL=DEBUG that would put task titles in the logs.
    for name in ("aiosqlite", "sqlalchemy.engine.Engine"):
        driver_logger = logging.getLogger(name)
        if _above_debug not in driver_logger.filters:
            driver_logger.addFilter(_above_debug)
