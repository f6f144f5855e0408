"""The guard that keeps unit tests unit tests: a socket, a process or a database fails the test,
even when the code under test swallows the refusal."""

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable

import psycopg
import pytest

from tests.support.isolation import MachineAccessRefused, machine_access_refused


def connect_a_socket() -> None:
    socket.create_connection(("127.0.0.1", 9), timeout=1)


def bind_a_socket() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))


def run_a_process() -> None:
    subprocess.run([sys.executable, "-c", "pass"], check=True)


def open_sqlite() -> None:
    sqlite3.connect(":memory:")


def connect_to_postgresql() -> None:
    psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=1)


ATTEMPTS: dict[str, tuple[Callable[[], None], str]] = {
    "connect": (connect_a_socket, "connect a socket"),
    "bind": (bind_a_socket, "bind a socket"),
    "subprocess": (run_a_process, "start a process"),
    "sqlite": (open_sqlite, "open a SQLite database"),
    "postgresql": (connect_to_postgresql, "connect to PostgreSQL"),
}


def attempted_under_the_guard(action: Callable[[], None]) -> None:
    with machine_access_refused("the test"):
        with pytest.raises(MachineAccessRefused):
            action()
        with contextlib.suppress(OSError):  # as a client swallows a refused connection
            action()


@pytest.mark.parametrize("attempt", list(ATTEMPTS))
def test_an_attempt_is_refused_and_fails_the_test_even_when_swallowed(attempt: str) -> None:
    action, described = ATTEMPTS[attempt]
    with pytest.raises(pytest.fail.Exception, match=f"tried to {described}"):
        attempted_under_the_guard(action)


async def connect_to_postgresql_awaited() -> None:
    with machine_access_refused("the test"), pytest.raises(MachineAccessRefused):
        await psycopg.AsyncConnection.connect("postgresql://postgres@127.0.0.1:5432/postgres")


async def test_an_awaited_postgresql_connection_is_refused() -> None:
    with pytest.raises(pytest.fail.Exception, match="tried to connect to PostgreSQL"):
        await connect_to_postgresql_awaited()


def test_leaving_the_block_puts_back_what_was_there() -> None:
    patched = [(socket.socket, "connect"), (subprocess.Popen, "_execute_child"), (os, "fork")]
    before = [getattr(owner, name) for owner, name in patched]
    with machine_access_refused("the test"):
        assert [getattr(owner, name) for owner, name in patched] != before
    assert [getattr(owner, name) for owner, name in patched] == before
