"""A one-connection load: one request at a time, every latency kept, nothing left in flight.

At concurrency 1 the round trips per request must be exact (the target is 1, not "about 1"):
wrk stops with a request in flight that the server still finishes, one request's round trips
too many. This client finishes every request it sends, so round trips / requests is exact.
It reads the same item files and sends the same requests and bodies as workload.lua.
"""

import http.client
import math
import random
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.loadgen import WrkResult
from benchmarks.settings import HOST, TIMEOUT_SECONDS

# The bodies workload.lua sends, byte for byte.
CREATE_BODY = (
    b'{"title":"Created by the load test","description":"A new task with a '
    b'description of a typical length for a todo item.","is_completed":false}'
)
PUT_BODY = (
    b'{"title":"Edited by the load test","description":"Replaced in full by a '
    b'PUT of a typical size.","is_completed":true}'
)
_NO_TASK = "-"
_MISSING = "00000000-0000-4000-8000-000000000000"  # what workload.lua deletes past its pool


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class _Item:
    user: str
    token: str
    task: str


def _read(path: Path | None) -> list[_Item]:
    if path is None:
        return []
    items = []
    for line in path.read_text().splitlines():
        user, token, task = line.split(" ")
        items.append(_Item(user, token, task))
    return items


def _headers(item: _Item, *, json: bool = False) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {item.token}"}
    return {**headers, "Content-Type": "application/json"} if json else headers


def call_maker(
    mode: str, items_path: Path, pool_path: Path | None, limit: int, seed: int = 1000
) -> Callable[[], Call]:
    """The next request of `mode` (get, list, create, toggle, put, delete), as wrk makes it."""
    rng = random.Random(seed)
    items = _read(items_path)
    tasks = [item for item in items if item.task != _NO_TASK]
    users = list({item.user: item for item in items}.values())
    pool = iter(_read(pool_path))

    def base(item: _Item) -> str:
        return f"/api/v1/{item.user}/tasks"

    def get() -> Call:
        item = rng.choice(tasks)
        return Call("GET", f"{base(item)}/{item.task}", _headers(item))

    def listing() -> Call:
        item = rng.choice(users)
        return Call("GET", f"{base(item)}?limit={limit}", _headers(item))

    def create() -> Call:
        item = rng.choice(users)
        return Call("POST", base(item), _headers(item, json=True), CREATE_BODY)

    def toggle() -> Call:
        item = rng.choice(tasks)
        return Call("PATCH", f"{base(item)}/{item.task}/complete", _headers(item))

    def put() -> Call:
        item = rng.choice(tasks)
        return Call("PUT", f"{base(item)}/{item.task}", _headers(item, json=True), PUT_BODY)

    def delete() -> Call:
        item = next(pool, None)
        if item is None:  # the pool ran out: a 404, so it shows up as an error
            item = _Item(users[0].user, users[0].token, _MISSING)
        return Call("DELETE", f"{base(item)}/{item.task}", _headers(item))

    makers = {
        "get": get,
        "list": listing,
        "create": create,
        "toggle": toggle,
        "put": put,
        "delete": delete,
    }
    return makers[mode]


def run_sequential(
    url_port: int,
    next_call: Callable[[], Call],
    seconds: float,
    max_requests: int | None = None,
) -> WrkResult:
    """Requests back to back on one keep-alive connection for `seconds` (or until
    `max_requests` have been answered), then stop."""
    latencies: list[float] = []
    status_errors = socket_errors = 0
    cpu_before = _own_cpu()
    connection = http.client.HTTPConnection(HOST, url_port, timeout=TIMEOUT_SECONDS)
    started = time.perf_counter()
    deadline = started + seconds
    try:
        while time.perf_counter() < deadline and len(latencies) != max_requests:
            call = next_call()
            sent = time.perf_counter()
            try:
                connection.request(call.method, call.path, body=call.body, headers=call.headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                socket_errors += 1
                connection.close()  # http.client reconnects on the next request
                continue
            latencies.append(time.perf_counter() - sent)
            status_errors += response.status >= 400
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    return _result(latencies, elapsed, status_errors, socket_errors, _own_cpu() - cpu_before)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime


def _result(
    latencies: list[float], elapsed: float, status_errors: int, socket_errors: int, cpu: float
) -> WrkResult:
    ordered = sorted(latencies) or [0.0]

    def percentile(share: float) -> float:
        rank = math.ceil(share * len(ordered)) - 1  # nearest rank
        return 1000 * ordered[max(0, rank)]

    requests = len(latencies)  # answered ones, as wrk counts
    return WrkResult(
        requests=requests,
        seconds=elapsed,
        rps=requests / elapsed if elapsed else 0.0,
        p50_ms=percentile(0.50),
        p90_ms=percentile(0.90),
        p99_ms=percentile(0.99),
        max_ms=1000 * ordered[-1],
        status_errors=status_errors,
        socket_errors=socket_errors,
        pool_exhausted=0,
        wrk_cpu_seconds=cpu,
    )
