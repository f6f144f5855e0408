"""Refuse a test any access to the machine: sockets, processes and databases.

While `machine_access_refused()` is active, every such call raises `MachineAccessRefused` and is
recorded; leaving the block fails the test with what was attempted, so code under test that
catches the error (as a client catches a refused connection) cannot hide it.
"""

import os
import socket
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

import psycopg
import pytest


class MachineAccessRefused(PermissionError):
    """Raised in place of a socket, process or database call in a unit test."""


def _refusing(attempts: list[str], what: str) -> Callable[..., Any]:
    def refuse(*args: object, **kwargs: object) -> Any:
        attempts.append(what)
        raise MachineAccessRefused(f"a unit test may not {what}")

    return refuse


def _async_refusing(attempts: list[str], what: str) -> Callable[..., Any]:
    refuse = _refusing(attempts, what)

    async def refuse_awaited(*args: object, **kwargs: object) -> Any:
        return refuse(*args, **kwargs)

    return refuse_awaited


@contextmanager
def machine_access_refused(test: str) -> Iterator[None]:
    attempts: list[str] = []
    refused: list[tuple[object, str, Callable[..., Any]]] = [
        (socket.socket, "connect", _refusing(attempts, "connect a socket")),
        (socket.socket, "connect_ex", _refusing(attempts, "connect a socket")),
        (socket.socket, "bind", _refusing(attempts, "bind a socket")),
        (subprocess.Popen, "_execute_child", _refusing(attempts, "start a process")),
        (os, "fork", _refusing(attempts, "fork a process")),
        (os, "posix_spawn", _refusing(attempts, "start a process")),
        (os, "posix_spawnp", _refusing(attempts, "start a process")),
        (os, "system", _refusing(attempts, "start a process")),
        (sqlite3, "connect", _refusing(attempts, "open a SQLite database")),
        (psycopg, "connect", _refusing(attempts, "connect to PostgreSQL")),
        (psycopg.Connection, "connect", _refusing(attempts, "connect to PostgreSQL")),
        (psycopg.AsyncConnection, "connect", _async_refusing(attempts, "connect to PostgreSQL")),
    ]
    with ExitStack() as patches:
        for owner, name, replacement in refused:
            patches.enter_context(mock.patch.object(owner, name, replacement))
        yield
    if attempts:
        pytest.fail(
            f"{test} is a unit test but tried to {', '.join(dict.fromkeys(attempts))}: "
            "it belongs under tests/database or tests/system",
            pytrace=False,
        )
