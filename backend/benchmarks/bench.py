"""One measured wrk run of one workload against one server, with its bookkeeping."""

import math
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import procfs
from benchmarks.database import BenchDatabase
from benchmarks.dataset import Item, write_items
from benchmarks.loadgen import WrkResult, run_wrk
from benchmarks.servers import Kind, Server
from benchmarks.settings import RunPlan

_GUESS_RPS = 3000.0  # delete pools are sized from the server's best rate seen, or this


@dataclass(frozen=True, slots=True)
class Workload:
    name: str
    mode: str  # workload.lua's mode
    limit: int = 0  # page size of list requests
    delete_share: float = 0.0  # fraction of requests that delete a pool task
    writes: bool = False  # restore the seeded rows afterwards


GET_ONE = Workload("get-one", "get")
LIST_1000 = Workload("list-1000", "list", limit=1000)
MIX = Workload("mix", "mix", limit=50, delete_share=0.05, writes=True)
MAIN_WORKLOADS = (
    GET_ONE,
    LIST_1000,
    Workload("create", "create", writes=True),
    Workload("toggle", "toggle", writes=True),
    Workload("put", "put", writes=True),
    Workload("delete", "delete", delete_share=1.0, writes=True),
    MIX,
)


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
        self,
        server: Server,
        workload: Workload,
        *,
        phase: str,
        items: Path,
        users: list[str],
        connections: int,
        round_number: int = 1,
        db: BenchDatabase | None = None,
    ) -> Measurement:
        db = db or self.db
        warm_pool, pool = self._pools(db, server, workload, users)
        if self.plan.warmup:
            self._wrk(server, workload, items, warm_pool, connections, self.plan.warmup)
        sessions_before = db.sessions()
        cpu_before, pg_cpu_before = server.cpu_seconds(), procfs.postgres_cpu_seconds()
        busy_before = procfs.machine_busy_seconds()
        result = self._wrk(server, workload, items, pool, connections, self.plan.duration)
        busy = procfs.machine_busy_seconds() - busy_before
        server_cpu = server.cpu_seconds() - cpu_before
        pg_cpu = procfs.postgres_cpu_seconds() - pg_cpu_before
        server.check_alive()
        measurement = Measurement(
            phase=phase,
            workload=workload.name,
            target=server.kind,
            workers=server.workers,
            connections=connections,
            round=round_number,
            wrk=result,
            server_cpu_seconds=server_cpu,
            postgres_cpu_seconds=pg_cpu,
            other_cpu_seconds=busy - server_cpu - pg_cpu - result.wrk_cpu_seconds,
            new_connections=db.sessions() - sessions_before - 1,  # less our own
            peak_rss_mb=server.peak_rss_mb(),
            rss_mb=server.rss_mb(),
        )
        if workload.writes:
            db.restore()
        key = (server.kind, server.workers)
        self._best_rps[key] = max(self._best_rps.get(key, 0.0), result.rps)
        self.measurements.append(measurement)
        return measurement

    def _wrk(
        self,
        server: Server,
        workload: Workload,
        items: Path,
        pool: Path | None,
        connections: int,
        seconds: int,
    ) -> WrkResult:
        return run_wrk(
            self.wrk,
            server.url,
            mode=workload.mode,
            items=items,
            pool=pool,
            limit=workload.limit,
            connections=connections,
            seconds=seconds,
        )

    def _pools(
        self, db: BenchDatabase, server: Server, workload: Workload, users: list[str]
    ) -> tuple[Path | None, Path | None]:
        """Fresh tasks to delete: twice what the best rate seen could use, warm-up first."""
        if not workload.delete_share:
            return None, None
        rate = 2 * self._best_rps.get((server.kind, server.workers), _GUESS_RPS)
        warm = math.ceil(workload.delete_share * rate * self.plan.warmup) + 100
        total = warm + math.ceil(workload.delete_share * rate * self.plan.duration) + 100
        each = math.ceil(total / len(users))
        rows = db.add_pool((user, each) for user in users)
        random.Random(len(rows)).shuffle(rows)
        return self.items_file(rows[:warm]), self.items_file(rows[warm:])
