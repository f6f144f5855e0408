"""The load: Debian's wrk with workload.lua, or a one-connection Python client at c=1.

wrk stops with requests in flight that the server still finishes; the Python client finishes
every request it sends, so at c=1 its round trips per request and latencies are exact.
"""

import http.client
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from subprocess import STDOUT

from benchmarks.data import NO_TASK
from benchmarks.settings import CREATE_BODY, HOST, LUA_SCRIPT, PUT_BODY, TIMEOUT_SECONDS

_MARKER = "BENCH_RESULT "
_MISSING = "00000000-0000-4000-8000-000000000000"  # what a delete past its pool asks for
_METHODS = dict(get="GET", list="GET", create="POST", toggle="PATCH", put="PUT", delete="DELETE")


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int  # answered
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx answers, socket errors and timeouts
    client_cpu_seconds: float  # the load generator's own


def run_wrk(
    url: str, mode: str, items: Path, pool: Path | None, limit: int, conns: int, seconds: int
) -> LoadResult:
    """One bounded wrk run (one thread)."""
    wrk = shutil.which("wrk") or sys.exit("wrk is missing: apt-get install wrk")
    command = [wrk, "-t1", f"-c{conns}", f"-d{seconds}s", f"--timeout={TIMEOUT_SECONDS}s"]
    script_args = [mode, str(items), str(pool or "-"), str(limit), CREATE_BODY, PUT_BODY]
    command += ["-s", str(LUA_SCRIPT), url, "--", *script_args]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=STDOUT, text=True) as process:
        text = process.stdout.read() if process.stdout else ""
        _, status, usage = os.wait4(process.pid, 0)  # its rusage: wrk's own CPU
        process.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in text.splitlines() if line.startswith(_MARKER)]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{text}")
    raw = json.loads(lines[-1].removeprefix(_MARKER))
    cpu = usage.ru_utime + usage.ru_stime
    p50, p99 = raw["p50_us"] / 1000, raw["p99_us"] / 1000
    return LoadResult(raw["requests"], raw["duration_us"] / 1e6, p50, p99, raw["errors"], cpu)


def run_sequential(
    port: int,
    mode: str,
    items: Path,
    pool: Path | None,
    limit: int,
    seconds: float,
    max_requests: int | None = None,
) -> LoadResult:
    """Requests back to back on one keep-alive connection for `seconds` (or until
    `max_requests` are answered), as workload.lua makes them."""
    rng = random.Random(1000)
    lines = [line.split(" ") for line in items.read_text().splitlines()]
    tasks = [line for line in lines if line[2] != NO_TASK]
    users = list({line[0]: line for line in lines}.values())
    deletes = iter(line.split(" ") for line in (pool.read_text().splitlines() if pool else []))
    latencies: list[float] = []
    errors = 0
    cpu = time.thread_time()
    connection = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT_SECONDS)
    started = time.perf_counter()
    while time.perf_counter() < started + seconds and len(latencies) != max_requests:
        if mode == "delete":
            user, token, task = next(deletes, [*users[0][:2], _MISSING])
        else:
            user, token, task = rng.choice(tasks if mode in ("get", "toggle", "put") else users)
        path = f"/api/v1/{user}/tasks"
        path += f"?limit={limit}" if mode == "list" else "" if mode == "create" else f"/{task}"
        path += "/complete" if mode == "toggle" else ""
        body = {"create": CREATE_BODY, "put": PUT_BODY}.get(mode)
        headers = {"Authorization": f"Bearer {token}"}
        headers |= {"Content-Type": "application/json"} if body else {}
        sent = time.perf_counter()
        try:
            connection.request(_METHODS[mode], path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()  # http.client reconnects on the next request
            continue
        latencies.append(time.perf_counter() - sent)
        errors += response.status >= 400
    elapsed = time.perf_counter() - started
    connection.close()
    ordered = sorted(latencies) or [0.0]

    def percentile(share: float) -> float:  # nearest rank
        return 1000 * ordered[max(0, math.ceil(share * len(ordered)) - 1)]

    cpu = time.thread_time() - cpu
    return LoadResult(len(latencies), elapsed, percentile(0.5), percentile(0.99), errors, cpu)
