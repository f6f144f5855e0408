"""`python -m benchmarks.instructions [--operations get,put,...]`: instructions per request of
an in-process loop of ASGI calls into the app under callgrind (specs/performance.md).
`--inner` is the loop itself, what valgrind runs."""

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

from benchmarks.data import BenchDatabase
from benchmarks.settings import ADMIN_URL
from todo_api.auth.development_token import mint_development_token
from todo_api.cli import create_served_app
from todo_api.config import Settings
from todo_api.logging_setup import configure_logging

OPERATIONS = ("get", "put", "create", "toggle", "list10", "list1000")
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
    env = {**os.environ, "BETTER_AUTH_SECRET": _SECRET}
    with (
        tempfile.TemporaryDirectory() as folder,
        BenchDatabase(args.admin_url, suffix="instructions").created(env, Path(folder)) as db,
    ):
        source, switch = Path(folder) / "switch.c", Path(folder) / "switch.so"
        source.write_text(_SWITCH_SOURCE)
        subprocess.run(["cc", "-shared", "-fPIC", "-o", str(switch), str(source)], check=True)
        results = {
            op: _instructions(op, db.url, switch) / MEASURED for op in args.operations.split(",")
        }
    print(json.dumps(results))
    for operation, count in results.items():
        print(f"{operation:8} {count / 1000:8.0f}k instructions per request")


def _instructions(operation: str, url: str, switch: Path) -> int:
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
    command += ["--callgrind-out-file=/dev/null", sys.executable]
    # By path, so another checkout's app can be measured with this file (PYTHONPATH).
    command += [str(Path(__file__).resolve()), "--inner", operation, str(switch), url]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    finished = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    if match := re.search(r"Collected : (\d+)", finished.stderr):
        return int(match.group(1))
    raise RuntimeError(f"no instruction count in valgrind's output:\n{finished.stderr}")


async def _loop(operation: str, switch: ctypes.CDLL, url: str) -> None:
    settings = Settings(
        _env_file=None,
        database_url=url,
        environment="production",
        better_auth_secret=_SECRET,
        log_json=True,
    )
    # Access lines go to stderr, which the parent reads: written as in production.
    configure_logging("INFO", json_lines=True)
    app = create_served_app(settings)  # as `todo-api serve` runs it, process tuning included
    # A user of its own per operation: the list's length does not depend on what ran before.
    user = f"bench_{operation}"
    token = mint_development_token(_SECRET, user, ttl_seconds=3600)
    async with app.router.lifespan_context(app):
        created: dict[str, Any] = {}
        seed = json.dumps({"title": "seed"}).encode()
        for _ in range(1000 if operation == "list1000" else 10):  # the tasks a list reads
            await _call(app, user, token, "POST", "", seed, created)
        task_id = str(json.loads(created["body"])["id"])
        replace = {"title": "bench", "description": None, "is_completed": False}
        request = {
            "get": ("GET", f"/{task_id}", b""),
            "put": ("PUT", f"/{task_id}", json.dumps(replace).encode()),
            "create": ("POST", "", json.dumps({"title": secrets.token_hex(8)}).encode()),
            "toggle": ("PATCH", f"/{task_id}/complete", b""),
            "list10": ("GET", "", b""),
            "list1000": ("GET", "", b""),
        }[operation]
        for measured in (False, True):
            if measured:
                switch.start()
            for _ in range(MEASURED if measured else WARM_UP):
                status = await _call(app, user, token, *request)
                if status >= 400:
                    raise RuntimeError(f"{operation} answered {status}")
        switch.stop()


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
