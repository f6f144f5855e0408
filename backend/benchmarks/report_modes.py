"""Report tables of the modes that change the way to the database: PgBouncer, a far database."""

from benchmarks.bench import MAIN_WORKLOADS, OPERATIONS
from benchmarks.pooler import PHASE as PGBOUNCER_PHASE
from benchmarks.settings import CONNECTIONS, REMOTE_CONNECTIONS
from benchmarks.summary import Stats, Summary, table


def rtt_of(phase: str) -> str:
    return phase.removeprefix("remote-").removesuffix("ms")


def _trips(p: Stats, b: Stats) -> str:
    def one(stats: Stats) -> str:
        return "-" if stats.round_trips is None else f"{stats.round_trips:.2f}"

    return f"{one(p)} / {one(b)}"


def pgbouncer_table(s: Summary) -> list[str]:
    rows = []
    for workload in MAIN_WORKLOADS:
        if (found := s.pair(PGBOUNCER_PHASE, workload.name)) is None:
            continue
        p, b = found
        rows.append(
            [
                workload.name,
                f"{p.rps:.0f}",
                f"{b.rps:.0f}",
                f"**{p.rps / b.rps:.2f}**",
                p.latency,
                b.latency,
                f"{p.errors} / {b.errors}",
                f"{p.cpu_ms:.2f} / {b.cpu_ms:.2f}",
                f"{p.new_connections:.0f} / {b.new_connections:.0f}",
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
        "new DB connections p / b",
    ]
    return table(header, rows)


def remote_table(s: Summary, phase: str) -> list[str]:
    rows = []
    for connections in REMOTE_CONNECTIONS:
        for operation in OPERATIONS:
            if (found := s.pair(phase, operation.name, connections=connections)) is None:
                continue
            p, b = found
            proxy = p.proxy_cpu_pct if p.proxy_cpu_pct is not None else 0.0
            rows.append(
                [
                    operation.name,
                    str(connections),
                    f"**{p.p50:.1f}** / {p.p99:.1f}",
                    b.latency,
                    f"{p.rps:.0f} / {b.rps:.0f}",
                    f"**{_trips(p, b)}**",
                    f"{p.errors} / {b.errors}",
                    f"{p.cpu_ms:.2f} / {b.cpu_ms:.2f}",
                    f"{proxy:.0f}",
                ]
            )
    header = [
        "operation",
        "conns",
        "project p50 / p99 ms",
        "baseline p50 / p99 ms",
        "req/s p / b",
        "DB round trips/req p / b",
        "errors p / b",
        "server CPU ms/req p / b",
        "proxy CPU % (project run)",
    ]
    return table(header, rows)
