"""The measurements, summarised: medians over the rounds of one workload on one server."""

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median

from benchmarks.bench import Measurement


@dataclass(frozen=True, slots=True)
class Stats:
    """Medians over the rounds of one workload on one server (errors are summed)."""

    rps: float
    p50: float
    p99: float
    errors: int
    cpu_ms: float  # server CPU per request
    pg_ms: float  # PostgreSQL CPU per request
    new_connections: float
    wrk_cpu_pct: float
    peak_rss_mb: float
    round_trips: float | None  # database round trips per request (delay proxy runs only)
    proxy_cpu_pct: float | None

    @property
    def latency(self) -> str:
        return f"{self.p50:.1f} / {self.p99:.1f}"


class Summary:
    def __init__(self, measurements: Iterable[Measurement]) -> None:
        self.measurements = list(measurements)

    def get(
        self,
        phase: str,
        workload: str,
        target: str,
        workers: int = 1,
        connections: int | None = None,
    ) -> Stats | None:
        runs = [
            m
            for m in self.measurements
            if (m.phase, m.workload, m.target, m.workers) == (phase, workload, target, workers)
            and connections in (None, m.connections)
        ]
        if not runs:
            return None
        trips = [t for m in runs if (t := m.round_trips_per_request) is not None]
        proxy = [
            100 * m.proxy_cpu_seconds / m.wrk.seconds
            for m in runs
            if m.proxy_cpu_seconds is not None
        ]
        return Stats(
            rps=median(m.wrk.rps for m in runs),
            p50=median(m.wrk.p50_ms for m in runs),
            p99=median(m.wrk.p99_ms for m in runs),
            errors=sum(m.wrk.errors for m in runs),
            cpu_ms=median(1000 * m.server_cpu_seconds / max(m.wrk.requests, 1) for m in runs),
            pg_ms=median(1000 * m.postgres_cpu_seconds / max(m.wrk.requests, 1) for m in runs),
            new_connections=median(m.new_connections for m in runs),
            wrk_cpu_pct=median(100 * m.wrk.wrk_cpu_seconds / m.wrk.seconds for m in runs),
            peak_rss_mb=runs[-1].peak_rss_mb,
            round_trips=median(trips) if trips else None,
            proxy_cpu_pct=median(proxy) if proxy else None,
        )

    def pair(
        self, phase: str, workload: str, workers: int = 1, connections: int | None = None
    ) -> tuple[Stats, Stats] | None:
        project = self.get(phase, workload, "project", workers, connections)
        baseline = self.get(phase, workload, "baseline", workers, connections)
        return (project, baseline) if project and baseline else None

    def phases(self, prefix: str) -> list[str]:
        return list(dict.fromkeys(m.phase for m in self.measurements if m.phase.startswith(prefix)))

    def workloads(self, phase: str) -> list[str]:
        return list(dict.fromkeys(m.workload for m in self.measurements if m.phase == phase))


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]
