"""Instructions per request, counted by valgrind: a stable measure of the app's CPU cost.

`python -m benchmarks.instructions [--operations get,put,...]` runs, for each operation, an
in-process loop of ASGI calls straight into the app (no HTTP server, no client library)
against a fresh local PostgreSQL database under `valgrind --tool=callgrind`, and prints the
instructions per request. Only the measured requests are counted: callgrind starts with
instrumentation off, and a tiny C helper (compiled here with valgrind's `callgrind.h`
macros) switches it on after start-up and a warm-up, and off after the last request.
Production settings, access log on (written to a pipe). Counts repeat to about 1% for
the same code, where timings on this 2-core machine move 10-20%.

`--inner OPERATION COUNT DATABASE_URL` is the loop itself (what valgrind runs).
"""

import argparse
import asyncio
import ctypes
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.database import BenchDatabase
from benchmarks.settings import ADMIN_URL
from todo_api.auth.development_token import mint_development_token
from todo_api.cli import create_served_app
from todo_api.config import Settings
from todo_api.db.engine import create_engine
from todo_api.db.migrations import migrate_database
from todo_api.logging_setup import configure_logging

OPERATIONS = ("get", "put", "create", "toggle", "list10", "list1000")
# Tasks the operation's user has before the loop: the lists read all of them.
_SEEDED = {"list1000": 1000}
WARM_UP, MEASURED = 30, 200
# Client requests of valgrind: no-ops outside valgrind, exact switches inside it.
_SWITCH_SOURCE = """
#include <valgrind/callgrind.h>
void start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""
_SECRET = "instruction-count-secret-0123456789abcdefgh"  # noqa: S105 (a local throw-away)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--operations", default=",".join(OPERATIONS))
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--inner", nargs=3, metavar=("OPERATION", "SWITCH", "DATABASE_URL"))
    args = parser.parse_args()
    if args.inner:
        operation, switch, url = args.inner
        asyncio.run(_loop(operation, ctypes.CDLL(switch), url))
        return
    database = BenchDatabase(args.admin_url, suffix="instructions")
    database.create()
    try:
        asyncio.run(_migrate(database.url))
        with tempfile.TemporaryDirectory() as folder:
            switch = _compile_switch(Path(folder))
            results = {
                op: _instructions(op, database.url, switch) / MEASURED
                for op in args.operations.split(",")
            }
    finally:
        database.drop()
    print(json.dumps(results))
    for operation, count in results.items():
        print(f"{operation:8} {count / 1000:8.0f}k instructions per request")


def _settings(url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=url,
        environment="production",
        better_auth_secret=_SECRET,
        log_json=True,
    )


async def _migrate(url: str) -> None:
    settings = _settings(url)
    await migrate_database(create_engine(settings), settings)


def _compile_switch(folder: Path) -> Path:
    source, library = folder / "switch.c", folder / "switch.so"
    source.write_text(_SWITCH_SOURCE)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return library


def _instructions(operation: str, url: str, switch: Path) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        # By path, so another checkout's app can be measured with this file (PYTHONPATH).
        str(Path(__file__).resolve()),
        "--inner",
        operation,
        str(switch),
        url,
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    finished = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    match = re.search(r"Collected : (\d+)", finished.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{finished.stderr}")
    return int(match.group(1))


async def _loop(operation: str, switch: ctypes.CDLL, url: str) -> None:
    settings = _settings(url)
    # Access lines go to stderr, which the parent reads: written as in production.
    configure_logging("INFO", json_lines=True)
    app = create_served_app(settings)  # as `todo-api serve` runs it, process tuning included
    # A user of its own per operation: the list's length does not depend on what ran before.
    user = f"bench_{operation}"
    token = mint_development_token(_SECRET, user, ttl_seconds=3600)
    async with app.router.lifespan_context(app):
        task_id = await _seed(app, user, token, _SEEDED.get(operation, 10))
        request = _requests(task_id)[operation]
        for measured in (False, True):
            if measured:
                switch.start()
            for _ in range(MEASURED if measured else WARM_UP):
                status = await _call(app, user, token, *request)
                if status >= 400:
                    raise RuntimeError(f"{operation} answered {status}")
        switch.stop()


async def _seed(app: Any, user: str, token: str, count: int) -> str:
    body = json.dumps({"title": "seed"}).encode()
    created: dict[str, Any] = {}
    for _ in range(count):
        await _call(app, user, token, "POST", "", body, created)
    return str(json.loads(created["body"])["id"])


def _requests(task_id: str) -> dict[str, tuple[str, str, bytes]]:
    replace = {"title": "bench", "description": None, "is_completed": False}
    return {
        "get": ("GET", f"/{task_id}", b""),
        "put": ("PUT", f"/{task_id}", json.dumps(replace).encode()),
        "create": ("POST", "", json.dumps({"title": secrets.token_hex(8)}).encode()),
        "toggle": ("PATCH", f"/{task_id}/complete", b""),
        "list10": ("GET", "", b""),
        "list1000": ("GET", "", b""),
    }


async def _call(
    app: Any,
    user: str,
    token: str,
    method: str,
    suffix: str,
    body: bytes,
    captured: dict[str, Any] | None = None,
) -> int:
    headers = [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": f"/api/v1/{user}/tasks{suffix}",
        "raw_path": f"/api/v1/{user}/tasks{suffix}".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    if captured is not None:
        captured["body"] = b"".join(chunks)
    return status


if __name__ == "__main__":
    main()
