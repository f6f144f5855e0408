"""The report: markdown tables of every mode, the targets, and the profile if recorded."""

from statistics import median

from benchmarks.pyspy import Profile
from benchmarks.report_modes import pgbouncer_table, remote_table, rtt_of
from benchmarks.settings import CONNECTIONS, PGBOUNCER_POOL_SIZE, SCALING_CONNECTIONS
from benchmarks.summary import Summary, table
from benchmarks.targets import targets

LIST_SIZES = ("10", "100", "1000", "10000")
NOISY_CPU_PCT = 25.0  # median share of a core used by other processes that taints a run


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
    return table(header, rows)


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
    return table(header, rows)


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
    return table(header, rows)


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
    return table(header, rows)


def _has_rows(lines: list[str]) -> bool:
    return sum(line.startswith("| ") for line in lines) > 1


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


def markdown(s: Summary, profile: Profile | None = None) -> str:
    target_rows = [
        [t.name, t.measured, t.goal, "met" if t.met else "**MISSED**"] for t in targets(s)
    ]
    sections = [
        ("Project vs raw baseline (100 users x 1000 tasks)", [*main_table(s), "", *noise_note(s)]),
        ("Scale-out: the mix with --workers 2", scale_out_table(s)),
        (
            f"Behind PgBouncer (transaction mode, {PGBOUNCER_POOL_SIZE} server connections)",
            pgbouncer_table(s),
        ),
    ]
    sections += [
        (f"Remote database: {rtt_of(phase)} ms round trip (delay proxy)", remote_table(s, phase))
        for phase in s.phases("remote-")
    ]
    sections += [
        ("Table size: 10,000 vs 1,000,000 rows", scaling_table(s)),
        ("List latency by the user's task count", list_size_table(s)),
        ("Targets", table(["target", "measured", "goal", ""], target_rows)),
    ]
    if profile:
        sections.append(("Where the time goes: py-spy under get-one", profile.markdown()))
    # A section whose table has no rows (its phase did not run) is left out.
    shown = [(title, lines) for title, lines in sections if _has_rows(lines)]
    return "\n\n".join(f"### {title}\n\n" + "\n".join(lines) for title, lines in shown) + "\n"
