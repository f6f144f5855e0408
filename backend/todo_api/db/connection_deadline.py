"""Bound a request's database work in time without cancelling the task: cancelled, psycopg
cancels the query on the server and waits for that, the very wait to cut short when the server
stopped answering. Instead, at the deadline, the sockets of the connections the task holds are
shut down: psycopg's wait ends at once with an OperationalError (a 503), the pool drops them."""

import asyncio
import contextlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(slots=True)
class Deadline:
    passed: bool = False  # a failure after it is the deadline's, not the network's


class ConnectionDeadlines:
    def __init__(self, engine: AsyncEngine) -> None:
        self._held: dict[asyncio.Task[Any], list[psycopg.AsyncConnection[Any]]] = {}
        # SQLite is a local file: its waits are bounded by its busy timeout instead.
        self._cuts = engine.dialect.name == "postgresql"
        if self._cuts:
            event.listen(engine.sync_engine, "checkout", self._on_checkout)

    @contextlib.contextmanager
    def bound(self, seconds: float) -> Iterator[Deadline]:
        """Within this block, the current task's connections are cut at `seconds`."""
        deadline = Deadline()
        task = asyncio.current_task()
        if task is None or not self._cuts:
            yield deadline
            return
        self._held[task] = []
        timer = asyncio.get_running_loop().call_later(seconds, self._cut, task, deadline)
        try:
            yield deadline
        finally:
            timer.cancel()
            del self._held[task]

    def _on_checkout(self, _: Any, record: Any, __: Any) -> None:
        # Runs inside SQLAlchemy's greenlet, still within the task that asked for it.
        with contextlib.suppress(RuntimeError):
            held = self._held.get(asyncio.current_task())  # type: ignore[arg-type]
            if held is not None and isinstance(record.driver_connection, psycopg.AsyncConnection):
                held.append(record.driver_connection)

    def _cut(self, task: asyncio.Task[Any], deadline: Deadline) -> None:
        deadline.passed = True
        for connection in self._held.get(task, ()):
            # shutdown() acts on the socket, not the descriptor: through a duplicate, psycopg's
            # own descriptor sees EOF at once, and stays valid for its cleanup.
            with (
                contextlib.suppress(OSError, psycopg.Error),
                socket.socket(fileno=os.dup(connection.fileno())) as duplicate,
            ):
                duplicate.shutdown(socket.SHUT_RDWR)
