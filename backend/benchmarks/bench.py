"""One measured wrk run of one workload against one server, with its bookkeeping."""

import math
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import procfs
from benchmarks.database import BenchDatabase
from benchmarks.dataset import Item, write_items
from benchmarks.link import DelayLink, LinkLoop
from benchmarks.loadgen import WrkResult, run_wrk
from benchmarks.sequential import call_maker, run_sequential
from benchmarks.servers import Kind, Server
from benchmarks.settings import RunPlan

_GUESS_RPS = 3000.0  # delete pools are sized from the server's best rate seen, or this
# psycopg prepares a statement on its 5th use on a connection, which costs that request one
# more round trip; the one-connection warm-up lasts until a 10-connection pool has prepared
# it everywhere (or the plan's warm-up time is up), so the count measures the steady state.
_SEQUENTIAL_WARMUP_REQUESTS = 60


@dataclass(frozen=True, slots=True)
class Workload:
    name: str
    mode: str  # workload.lua's mode
    limit: int = 0  # page size of list requests
    delete_share: float = 0.0  # fraction of requests that delete a pool task
    writes: bool = False  # restore the seeded rows afterwards


GET_ONE = Workload("get-one", "get")
LIST_1000 = Workload("list-1000", "list", limit=1000)
# A 50-task page of a user with 1000 tasks: a full page, so it carries the user's total.
LIST_50 = Workload("list-50", "list", limit=50)
CREATE = Workload("create", "create", writes=True)
TOGGLE = Workload("toggle", "toggle", writes=True)
PUT = Workload("put", "put", writes=True)
DELETE = Workload("delete", "delete", delete_share=1.0, writes=True)
MIX = Workload("mix", "mix", limit=50, delete_share=0.05, writes=True)
MAIN_WORKLOADS = (GET_ONE, LIST_1000, CREATE, TOGGLE, PUT, DELETE, MIX)
# The six operations, one at a time (remote-database mode).
OPERATIONS = (GET_ONE, LIST_50, CREATE, TOGGLE, PUT, DELETE)


@dataclass(frozen=True, slots=True)
class Runs:
    """What a series of runs shares: the phase, the items, the pool owners, the load."""

    phase: str
    items: Path
    users: list[str]
    connections: int
    db: BenchDatabase | None = None  # the one the servers use, if not the bench's own
    duration: int | None = None  # seconds per run; the plan's if None
    warmup: float | None = None
    sequential: bool = False  # one Python client instead of wrk: exact counts at c=1
    links: Mapping[Kind, DelayLink] | None = None  # each server's way to the database
    link_loop: LinkLoop | None = None  # the links' thread, for its CPU
    restore_each: bool = True  # restore the seeded rows after each writing run (else the caller)


@dataclass(frozen=True, slots=True)
class Measurement:
    phase: str
    workload: str
    target: Kind
    workers: int
    connections: int
    round: int
    wrk: WrkResult
    server_cpu_seconds: float
    postgres_cpu_seconds: float  # every PostgreSQL process, other databases' too
    other_cpu_seconds: float  # everything else on the machine: background noise
    new_connections: int  # PostgreSQL sessions opened to the database during the run
    peak_rss_mb: float
    rss_mb: float
    driver: str = "wrk"  # or "sequential": the one-connection Python client
    round_trips: int | None = None  # database round trips counted by the delay proxy
    proxy_cpu_seconds: float | None = None  # the delay proxies' thread

    @property
    def round_trips_per_request(self) -> float | None:
        if self.round_trips is None or not self.wrk.requests:
            return None
        return self.round_trips / self.wrk.requests

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["wrk"] = self.wrk.as_dict()
        return data


@dataclass
class Bench:
    plan: RunPlan
    db: BenchDatabase
    wrk: str
    work_dir: Path
    log_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)
    measurements: list[Measurement] = field(default_factory=list)
    _best_rps: dict[tuple[Kind, int], float] = field(default_factory=dict)
    _files: int = 0

    def items_file(self, items: list[Item]) -> Path:
        self._files += 1
        return write_items(self.work_dir / f"items-{self._files}.txt", items, self.tokens)

    def measure(
        self, server: Server, workload: Workload, runs: Runs, round_number: int = 1
    ) -> Measurement:
        db = runs.db or self.db
        link = runs.links[server.kind] if runs.links else None
        warm_pool, pool = self._pools(db, server, workload, runs, link)
        warmup = self.plan.warmup if runs.warmup is None else runs.warmup
        duration = self.plan.duration if runs.duration is None else runs.duration
        load = self._sequential if runs.sequential else self._wrk
        if warmup and runs.sequential:
            next_call = call_maker(workload.mode, runs.items, warm_pool, workload.limit)
            run_sequential(server.port, next_call, warmup, _SEQUENTIAL_WARMUP_REQUESTS)
        elif warmup:
            load(server, workload, runs, warm_pool, warmup)
        trips_before = link.settled_round_trips() if link else 0
        sessions_before = db.sessions()
        cpu_before, pg_cpu_before = server.cpu_seconds(), procfs.postgres_cpu_seconds()
        busy_before = procfs.machine_busy_seconds()
        proxy_before = runs.link_loop.cpu_seconds() if runs.link_loop else 0.0
        result = load(server, workload, runs, pool, duration)
        busy = procfs.machine_busy_seconds() - busy_before
        server_cpu = server.cpu_seconds() - cpu_before
        pg_cpu = procfs.postgres_cpu_seconds() - pg_cpu_before
        proxy_cpu = runs.link_loop.cpu_seconds() - proxy_before if runs.link_loop else None
        trips = link.settled_round_trips() - trips_before if link else None
        client_cpu = result.wrk_cpu_seconds + (proxy_cpu or 0.0)  # the load and the proxies
        server.check_alive()
        measurement = Measurement(
            phase=runs.phase,
            workload=workload.name,
            target=server.kind,
            workers=server.workers,
            connections=runs.connections,
            round=round_number,
            wrk=result,
            server_cpu_seconds=server_cpu,
            postgres_cpu_seconds=pg_cpu,
            other_cpu_seconds=busy - server_cpu - pg_cpu - client_cpu,
            new_connections=db.sessions() - sessions_before - 1,  # less our own
            peak_rss_mb=server.peak_rss_mb(),
            rss_mb=server.rss_mb(),
            driver="sequential" if runs.sequential else "wrk",
            round_trips=trips,
            proxy_cpu_seconds=proxy_cpu,
        )
        if workload.writes and runs.restore_each:
            db.restore()
        key = (server.kind, server.workers)
        self._best_rps[key] = max(self._best_rps.get(key, 0.0), result.rps)
        self.measurements.append(measurement)
        return measurement

    def warm(self, server: Server, runs: Runs, seconds: int) -> None:
        """An unmeasured get-one load: fills the server's pool before a measured series."""
        self._wrk(server, GET_ONE, runs, None, seconds)

    def _wrk(
        self, server: Server, workload: Workload, runs: Runs, pool: Path | None, seconds: float
    ) -> WrkResult:
        return run_wrk(
            self.wrk,
            server.url,
            mode=workload.mode,
            items=runs.items,
            pool=pool,
            limit=workload.limit,
            connections=runs.connections,
            seconds=max(1, round(seconds)),  # wrk takes whole seconds
        )

    def _sequential(
        self, server: Server, workload: Workload, runs: Runs, pool: Path | None, seconds: float
    ) -> WrkResult:
        next_call = call_maker(workload.mode, runs.items, pool, workload.limit)
        return run_sequential(server.port, next_call, seconds)

    def _pools(
        self,
        db: BenchDatabase,
        server: Server,
        workload: Workload,
        runs: Runs,
        link: DelayLink | None,
    ) -> tuple[Path | None, Path | None]:
        """Fresh tasks to delete: twice what the best rate seen could use, warm-up first."""
        if not workload.delete_share:
            return None, None
        rate = 2 * self._best_rps.get((server.kind, server.workers), _GUESS_RPS)
        if link:  # every request waits at least one round trip
            rate = min(rate, 1000 * runs.connections / link.rtt_ms)
        warmup = self.plan.warmup if runs.warmup is None else runs.warmup
        duration = self.plan.duration if runs.duration is None else runs.duration
        warm = math.ceil(workload.delete_share * rate * warmup) + 100
        total = warm + math.ceil(workload.delete_share * rate * duration) + 100
        each = math.ceil(total / len(runs.users))
        rows = db.add_pool((user, each) for user in runs.users)
        random.Random(len(rows)).shuffle(rows)
        return self.items_file(rows[:warm]), self.items_file(rows[warm:])
