"""Measured runs: one workload against one server, and both servers in alternation."""

import math
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.data import BenchDatabase, Item
from benchmarks.link import DelayLink
from benchmarks.load import LoadResult, run_sequential, run_wrk
from benchmarks.servers import KINDS, Kind, Server, busy_cpu_seconds, postgres_cpu_seconds
from benchmarks.settings import RunPlan, Workload

Measurement = dict[str, float | str]  # a run's facts and figures, as the result file has them
Pools = tuple[Path | None, Path | None]  # tasks to delete: for the warm-up, for the run
_GUESS_RPS = 3000.0  # delete pools are sized from the server's best rate seen, or this
# psycopg prepares a statement on its 5th use on a connection (one more round trip): the c=1
# warm-up lasts until a 10-connection pool has, so the count measures the steady state.
_SEQUENTIAL_WARMUP_REQUESTS = 60


@dataclass(frozen=True, slots=True)
class Runs:
    """What a series of runs shares: the phase, the items, the pool owners, the load."""

    phase: str
    items: Path
    users: list[str]
    connections: int
    duration: int
    warmup: float
    db: BenchDatabase | None = None  # the one the servers use, if not the bench's own
    sequential: bool = False  # the one-connection Python client instead of wrk
    links: Mapping[str, DelayLink] | None = None  # each server's way to the database
    link_cpu: Callable[[], float] | None = None  # CPU seconds of the links' thread


@dataclass
class Bench:
    plan: RunPlan
    db: BenchDatabase
    work_dir: Path
    log_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)
    measurements: list[Measurement] = field(default_factory=list)
    servers: list[Measurement] = field(default_factory=list)  # peak RSS of each
    _best_rps: dict[tuple[Kind, int], float] = field(default_factory=dict)
    _files: int = 0

    def items_file(self, items: list[Item]) -> Path:
        """One `user token task` line per item, the format workload.lua reads."""
        self._files += 1
        path = self.work_dir / f"items-{self._files}.txt"
        path.write_text("".join(f"{user} {self.tokens[user]} {task}\n" for user, task in items))
        return path

    def measure(self, server: Server, workload: Workload, runs: Runs, round_number: int) -> None:
        db = runs.db or self.db
        link = runs.links[server.kind] if runs.links else None
        warm_pool, pool = self._pools(db, server, workload, runs)
        if runs.warmup:
            most = _SEQUENTIAL_WARMUP_REQUESTS if runs.sequential else None
            self.load(server, workload, runs, runs.warmup, warm_pool, most)

        def cpu() -> dict[str, float]:
            proxy = runs.link_cpu() if runs.link_cpu else 0.0
            busy, server_cpu, pg = busy_cpu_seconds(), server.cpu_seconds(), postgres_cpu_seconds()
            return {"busy": busy, "server": server_cpu, "pg": pg, "proxy": proxy}

        def counts() -> dict[str, float]:
            return {"trips": link.settled_round_trips() if link else 0, "sessions": db.sessions()}

        before = counts() | cpu()
        started = time.monotonic()
        result = self.load(server, workload, runs, runs.duration, pool)
        after = cpu()  # before the counts: the interval is the load's alone
        wall = time.monotonic() - started  # wrk's own start-up included, unlike its duration
        after |= counts()
        spent = {name: value - before[name] for name, value in after.items()}
        server.check_alive()
        per_req, pct = 1000 / max(result.requests, 1), 100 / result.seconds
        other = spent["busy"] - spent["server"] - spent["pg"] - spent["proxy"]
        run: Measurement = {"phase": runs.phase, "workload": workload.name, "target": server.kind}
        run |= {"workers": server.workers, "connections": runs.connections, "round": round_number}
        rps = result.requests / result.seconds
        run |= {"rps": rps, "p50": result.p50_ms, "p99": result.p99_ms}
        run |= {"errors": result.errors, "requests": result.requests}
        run |= {"cpu_ms": spent["server"] * per_req, "pg_ms": spent["pg"] * per_req}
        run |= {"new_connections": spent["sessions"] - 1}  # less the second reading's own
        run |= {"client_cpu_pct": result.client_cpu_seconds * pct}
        run |= {"other_cpu_pct": (other - result.client_cpu_seconds) * 100 / wall}
        if link:
            run |= {
                "trips": spent["trips"] / max(result.requests, 1),
                "proxy": spent["proxy"] * pct,
            }
        self.measurements.append(run)
        if workload.writes:
            db.restore()
        key = (server.kind, server.workers)
        self._best_rps[key] = max(self._best_rps.get(key, 0.0), rps)
        shown = (f"{k} {v:.2f}" for k, v in run.items() if isinstance(v, float) and k != "round")
        print(f"{runs.phase} {workload.name} {server.kind}: {', '.join(shown)}", flush=True)

    def load(
        self,
        server: Server,
        workload: Workload,
        runs: Runs,
        seconds: float,
        pool: Path | None = None,
        most: int | None = None,
    ) -> LoadResult:
        """One load; unmeasured, it warms the server up or fills its pool before a series."""
        mode, limit = workload.mode, workload.limit
        if runs.sequential:
            return run_sequential(server.port, mode, runs.items, pool, limit, seconds, most)
        wrk_seconds = max(1, round(seconds))  # wrk takes whole seconds
        return run_wrk(server.url, mode, runs.items, pool, limit, runs.connections, wrk_seconds)

    def _pools(self, db: BenchDatabase, server: Server, workload: Workload, runs: Runs) -> Pools:
        """Fresh tasks to delete: twice what the best rate seen could use, warm-up first."""
        if not workload.delete_share:
            return None, None
        rate = 2 * self._best_rps.get((server.kind, server.workers), _GUESS_RPS)
        if runs.links:  # every request waits at least one round trip
            rate = min(rate, 1000 * runs.connections / runs.links[server.kind].rtt_ms)
        warm = math.ceil(workload.delete_share * rate * runs.warmup) + 100
        total = warm + math.ceil(workload.delete_share * rate * runs.duration) + 100
        rows = db.add_pool((user, math.ceil(total / len(runs.users))) for user in runs.users)
        random.Random(len(rows)).shuffle(rows)
        return self.items_file(rows[:warm]), self.items_file(rows[warm:])


@contextmanager
def serving(
    bench: Bench, env: dict[str, str], workers: int, user: str, phase: str, **urls: str
) -> Iterator[dict[Kind, Server]]:
    """The project and the baseline (`urls`: each one's DATABASE_URL if not env's) until the
    block ends; then each one's peak RSS is kept."""
    servers: dict[Kind, Server] = {}
    try:
        for kind in KINDS:
            kind_env = {**env, "DATABASE_URL": urls.get(kind, env["DATABASE_URL"])}
            servers[kind] = Server(kind, workers, kind_env, bench.work_dir, bench.log_dir)
        for server in servers.values():
            server.wait_ready(f"/api/v1/{user}/tasks?limit=1", bench.tokens[user])
        yield servers
    finally:
        for kind, server in servers.items():
            server.stop()
            peak: Measurement = {"phase": phase, "target": kind, "workers": workers}
            bench.servers.append({**peak, "peak_rss_mb": server.peak_rss_mb})


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
        bench.measure(servers[kind], workload, runs, round_number)
