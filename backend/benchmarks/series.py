"""Running a series: both servers started side by side, and measured in alternation."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from benchmarks.bench import Bench, Measurement, Runs, Workload
from benchmarks.servers import KINDS, Kind, Server


@contextmanager
def serving(
    bench: Bench, envs: Mapping[Kind, dict[str, str]], workers: int, user: str
) -> Iterator[dict[Kind, Server]]:
    """The project and the baseline, each with its own environment, until the block ends."""
    servers: dict[Kind, Server] = {}
    try:
        for kind in KINDS:
            servers[kind] = Server(kind, workers, envs[kind], bench.work_dir, bench.log_dir)
        for server in servers.values():
            server.wait_ready(f"/api/v1/{user}/tasks?limit=1", bench.tokens[user])
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def same_env(env: dict[str, str]) -> dict[Kind, dict[str, str]]:
    return dict.fromkeys(KINDS, env)


def alternate(
    bench: Bench,
    servers: Mapping[Kind, Server],
    workload: Workload,
    runs: Runs,
    turn: int,
    round_number: int = 1,
) -> None:
    """Both servers, one after the other; which goes first alternates with `turn`."""
    for kind in KINDS if turn % 2 == 0 else KINDS[::-1]:
        progress(bench.measure(servers[kind], workload, runs, round_number))


def progress(m: Measurement) -> None:
    w = m.wrk
    note = f" (delete pool ran out {w.pool_exhausted}x)" if w.pool_exhausted else ""
    trips = m.round_trips_per_request
    rtt = f"  DB round trips/req {trips:.2f}" if trips is not None else ""
    print(
        f"{m.phase:11} {m.workload:10} {m.target:8} {m.workers}w {m.connections:2}c: "
        f"{w.rps:7.0f} req/s  p50 {w.p50_ms:7.1f} ms  p99 {w.p99_ms:7.1f} ms  "
        f"errors {w.errors}{note}{rtt}  rss {m.peak_rss_mb:.0f} MB  "
        f"other CPU {100 * m.other_cpu_seconds / w.seconds:.0f}%",
        flush=True,
    )
