"""The targets, each measured, met or missed (issues "Performance: a reproducible benchmark",
"Neon in production" and "CPU per request")."""

from dataclasses import dataclass

from benchmarks.pooler import PHASE as PGBOUNCER_PHASE
from benchmarks.remote import phase_name
from benchmarks.settings import (
    CONNECTIONS,
    MAX_C1_P50_MS,
    MAX_CPU_MS_SINGLE_ROW,
    MAX_P99_OVER_P50,
    MAX_ROUND_TRIPS,
    MAX_RSS_MB,
    MAX_SCALING_SLOWDOWN,
    MIN_RATIO,
    TARGET_RTT_MS,
)
from benchmarks.summary import Summary

RATIO_WORKLOADS = ("get-one", "create", "toggle", "put", "delete", "mix", "list-1000")
SINGLE_ROW = ("get-one", "create", "toggle", "put", "delete")


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    measured: str
    goal: str
    met: bool


def _worst(values: dict[str, float]) -> tuple[str, float]:
    name = max(values, key=values.__getitem__)
    return name, values[name]


def _cpu(s: Summary) -> list[Target]:
    cpu = {n: st.cpu_ms for n in SINGLE_ROW if (st := s.get("main", n, "project"))}
    if not cpu:
        return []
    name, worst = _worst(cpu)
    return [
        Target(
            "server CPU per single-row request (project, worst workload)",
            f"{worst:.2f} ms ({name})",
            f"<= {MAX_CPU_MS_SINGLE_ROW} ms",
            worst <= MAX_CPU_MS_SINGLE_ROW,
        )
    ]


def _ratios(s: Summary) -> list[Target]:
    found = []
    for name in RATIO_WORKLOADS:
        if pair := s.pair("main", name):
            ratio = pair[0].rps / pair[1].rps
            found.append(
                Target(
                    f"throughput ratio, {name}",
                    f"{ratio:.2f}",
                    f">= {MIN_RATIO}",
                    ratio >= MIN_RATIO,
                )
            )
    return found


def _tail(s: Summary) -> list[Target]:
    tails = {n: st.p99 / st.p50 for n in s.workloads("main") if (st := s.get("main", n, "project"))}
    if not tails:
        return []
    name, worst = _worst(tails)
    return [
        Target(
            f"p99 / p50 at {CONNECTIONS} conns (project, worst workload)",
            f"{worst:.2f} ({name})",
            f"<= {MAX_P99_OVER_P50}",
            worst <= MAX_P99_OVER_P50,
        )
    ]


def _errors(s: Summary, behind_pgbouncer: bool) -> list[Target]:
    runs = [m for m in s.measurements if (m.phase == PGBOUNCER_PHASE) == behind_pgbouncer]
    if not runs:
        return []
    errors = {k: sum(m.wrk.errors for m in runs if m.target == k) for k in ("project", "baseline")}
    name = "errors behind PgBouncer" if behind_pgbouncer else "errors (non-2xx + socket), all runs"
    return [
        Target(
            name,
            f"project {errors['project']}, baseline {errors['baseline']}",
            "0",
            not any(errors.values()),
        )
    ]


def _scaling(s: Summary) -> list[Target]:
    found = []
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
    return found


def _memory(s: Summary) -> list[Target]:
    if (mix := s.get("main", "mix", "project")) is None:
        return []
    return [
        Target(
            "project peak RSS (VmHWM) after the mix",
            f"{mix.peak_rss_mb:.0f} MB",
            f"< {MAX_RSS_MB:.0f} MB",
            mix.peak_rss_mb < MAX_RSS_MB,
        )
    ]


def _remote(s: Summary) -> list[Target]:
    """Exact counts come from the c=1 runs; the worst operation over every distance."""
    trips: dict[str, float] = {}
    for phase in s.phases("remote-"):
        for name in s.workloads(phase):
            st = s.get(phase, name, "project", connections=1)
            if st and st.round_trips is not None:
                trips[f"{name}, {phase}"] = st.round_trips
    found = []
    if trips:
        name, worst = _worst(trips)
        found.append(
            Target(
                "database round trips per request (project, c=1, worst operation)",
                f"{worst:.2f} ({name})",
                f"<= {MAX_ROUND_TRIPS:g}",
                worst <= MAX_ROUND_TRIPS,
            )
        )
    far = phase_name(TARGET_RTT_MS)
    medians = {
        n: st.p50 for n in s.workloads(far) if (st := s.get(far, n, "project", connections=1))
    }
    if medians:
        name, worst = _worst(medians)
        found.append(
            Target(
                f"p50 at c=1, database {TARGET_RTT_MS:g} ms away (project, worst operation)",
                f"{worst:.1f} ms ({name})",
                f"<= {MAX_C1_P50_MS:g} ms",
                worst <= MAX_C1_P50_MS,
            )
        )
    return found


def targets(s: Summary) -> list[Target]:
    return [
        *_cpu(s),
        *_ratios(s),
        *_tail(s),
        *_errors(s, behind_pgbouncer=False),
        *_memory(s),
        *_remote(s),
        *_errors(s, behind_pgbouncer=True),
        *_scaling(s),
    ]
