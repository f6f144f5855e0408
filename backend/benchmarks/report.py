"""Summaries of the measurements: markdown tables and the targets, met or missed."""

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median

from benchmarks.bench import Measurement
from benchmarks.settings import (
    CONNECTIONS,
    MAX_P99_OVER_P50,
    MAX_RSS_MB,
    MAX_SCALING_SLOWDOWN,
    MIN_RATIO,
    MIN_RATIO_LIST,
    SCALING_CONNECTIONS,
)

RATIO_TARGETS = {
    "get-one": MIN_RATIO,
    "list-1000": MIN_RATIO_LIST,
    "create": MIN_RATIO,
    "toggle": MIN_RATIO,
    "put": MIN_RATIO,
    "mix": MIN_RATIO,
}
LIST_SIZES = ("10", "100", "1000", "10000")
NOISY_CPU_PCT = 25.0  # median share of a core used by other processes that taints a run


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

    @property
    def latency(self) -> str:
        return f"{self.p50:.1f} / {self.p99:.1f}"


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    measured: str
    goal: str
    met: bool


class Summary:
    def __init__(self, measurements: Iterable[Measurement]) -> None:
        self.measurements = list(measurements)

    def get(self, phase: str, workload: str, target: str, workers: int = 1) -> Stats | None:
        runs = [
            m
            for m in self.measurements
            if (m.phase, m.workload, m.target, m.workers) == (phase, workload, target, workers)
        ]
        if not runs:
            return None
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
        )

    def pair(self, phase: str, workload: str, workers: int = 1) -> tuple[Stats, Stats] | None:
        project = self.get(phase, workload, "project", workers)
        baseline = self.get(phase, workload, "baseline", workers)
        return (project, baseline) if project and baseline else None

    def workloads(self, phase: str) -> list[str]:
        return list(dict.fromkeys(m.workload for m in self.measurements if m.phase == phase))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def main_table(s: Summary) -> list[str]:
    rows = []
    for name in s.workloads("main"):
        if (found := s.pair("main", name)) is None:
            continue
        p, b = found
        rows.append(
            [
                name,
                f"{p.rps:.0f}",
                f"{b.rps:.0f}",
                f"**{p.rps / b.rps:.2f}**",
                p.latency,
                b.latency,
                f"{p.errors} / {b.errors}",
                f"{p.cpu_ms:.2f} / {b.cpu_ms:.2f}",
                f"{p.pg_ms:.2f} / {b.pg_ms:.2f}",
                f"{p.new_connections:.0f} / {b.new_connections:.0f}",
                f"{p.wrk_cpu_pct:.0f}",
            ]
        )
    header = [
        f"workload ({CONNECTIONS} conns)",
        "project req/s",
        "baseline req/s",
        "ratio",
        "project p50 / p99 ms",
        "baseline p50 / p99 ms",
        "errors p / b",
        "server CPU ms/req p / b",
        "PostgreSQL CPU ms/req p / b",
        "new DB connections p / b",
        "wrk CPU %",
    ]
    return _table(header, rows)


def scale_out_table(s: Summary) -> list[str]:
    rows = []
    for kind in ("project", "baseline"):
        one, two = s.get("main", "mix", kind), s.get("scale-out", "mix", kind, workers=2)
        if one and two:
            rows.append(
                [
                    kind,
                    f"{one.rps:.0f}",
                    f"{two.rps:.0f}",
                    f"{two.rps / one.rps:.2f}x",
                    two.latency,
                    str(two.errors),
                ]
            )
    header = [
        "mix",
        "1 worker req/s",
        "2 workers req/s",
        "gain",
        "2 workers p50 / p99 ms",
        "errors",
    ]
    return _table(header, rows)


def scaling_table(s: Summary) -> list[str]:
    rows = []
    for name in ("get-one", "list-1000"):
        small = s.pair("rows-10k", name)
        for phase, label in (("rows-10k", "10,000"), ("rows-1M", "1,000,000")):
            if (found := s.pair(phase, name)) and small:
                p, b = found
                rows.append(
                    [
                        name,
                        label,
                        p.latency,
                        f"{p.rps:.0f}",
                        b.latency,
                        f"{b.rps:.0f}",
                        f"{p.p50 / small[0].p50:.2f}x",
                    ]
                )
    header = [
        f"workload ({SCALING_CONNECTIONS} conns)",
        "rows",
        "project p50 / p99 ms",
        "project req/s",
        "baseline p50 / p99 ms",
        "baseline req/s",
        "project p50 vs 10k",
    ]
    return _table(header, rows)


def list_size_table(s: Summary) -> list[str]:
    rows = []
    for size in LIST_SIZES:
        if found := s.pair("rows-1M", f"list-{size}"):
            p, b = found
            rows.append(
                [size, p.latency, f"{p.rps:.0f}", b.latency, f"{b.rps:.0f}", f"{p.rps / b.rps:.2f}"]
            )
    header = [
        f"tasks of the user ({SCALING_CONNECTIONS} conns, 1M rows)",
        "project p50 / p99 ms",
        "project req/s",
        "baseline p50 / p99 ms",
        "baseline req/s",
        "ratio",
    ]
    return _table(header, rows)


def targets(s: Summary) -> list[Target]:
    found: list[Target] = []
    for name, goal in RATIO_TARGETS.items():
        if pair := s.pair("main", name):
            ratio = pair[0].rps / pair[1].rps
            found.append(
                Target(f"throughput ratio, {name}", f"{ratio:.2f}", f">= {goal}", ratio >= goal)
            )
    tails = {
        name: st.p99 / st.p50
        for name in s.workloads("main")
        if (st := s.get("main", name, "project"))
    }
    if tails:
        worst = max(tails, key=tails.__getitem__)
        found.append(
            Target(
                f"p99 / p50 at {CONNECTIONS} conns (project, worst workload)",
                f"{tails[worst]:.2f} ({worst})",
                f"<= {MAX_P99_OVER_P50}",
                tails[worst] <= MAX_P99_OVER_P50,
            )
        )
    errors = {
        kind: sum(m.wrk.errors for m in s.measurements if m.target == kind)
        for kind in ("project", "baseline")
    }
    found.append(
        Target(
            "errors (non-2xx + socket), all runs",
            f"project {errors['project']}, baseline {errors['baseline']}",
            "0",
            not any(errors.values()),
        )
    )
    for name in ("get-one", "list-1000"):
        small, large = s.get("rows-10k", name, "project"), s.get("rows-1M", name, "project")
        if small and large:
            slowdown = large.p50 / small.p50
            found.append(
                Target(
                    f"{name} p50, 1M rows vs 10k rows (project)",
                    f"{slowdown:.2f}x",
                    f"<= {MAX_SCALING_SLOWDOWN}x",
                    slowdown <= MAX_SCALING_SLOWDOWN,
                )
            )
    if mix := s.get("main", "mix", "project"):
        found.append(
            Target(
                "project peak RSS (VmHWM) after the mix",
                f"{mix.peak_rss_mb:.0f} MB",
                f"< {MAX_RSS_MB:.0f} MB",
                mix.peak_rss_mb < MAX_RSS_MB,
            )
        )
    return found


def noise_note(s: Summary) -> list[str]:
    shares = sorted(100 * m.other_cpu_seconds / m.wrk.seconds for m in s.measurements)
    if not shares:
        return []
    note = (
        f"Other processes on the machine (not the servers, their PostgreSQL backends or wrk) "
        f"used a median {median(shares):.0f}% and at most {shares[-1]:.0f}% of one core "
        "during the measured runs."
    )
    if median(shares) > NOISY_CPU_PCT:
        note += " **The machine was busy with other work: re-run on a quiet machine.**"
    return [note]


def markdown(s: Summary) -> str:
    target_rows = [
        [t.name, t.measured, t.goal, "met" if t.met else "**MISSED**"] for t in targets(s)
    ]
    sections = [
        ("Project vs raw baseline (100 users x 1000 tasks)", [*main_table(s), "", *noise_note(s)]),
        ("Scale-out: the mix with --workers 2", scale_out_table(s)),
        ("Table size: 10,000 vs 1,000,000 rows", scaling_table(s)),
        ("List latency by the user's task count", list_size_table(s)),
        ("Targets", _table(["target", "measured", "goal", ""], target_rows)),
    ]
    return "\n\n".join(f"### {title}\n\n" + "\n".join(lines) for title, lines in sections) + "\n"
