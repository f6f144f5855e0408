"""The report: medians over the rounds, one table per phase, the targets met or missed."""

from statistics import median

from benchmarks import settings
from benchmarks.bench import Measurement

Stats = dict[str, float]
MIN_RATIO = 0.5  # throughput, project / baseline
MAX_CPU_MS_SINGLE_ROW = 0.7
MAX_P99_OVER_P50 = 3.0
MAX_RSS_MB = 150.0
MAX_ROUND_TRIPS = 1.0
TARGET_RTT_MS = 20.0  # one of settings.REMOTE_RTTS_MS
MAX_C1_P50_MS = 1.3 * TARGET_RTT_MS + 5.0
MAX_SCALING_SLOWDOWN = 1.25
SINGLE_ROW = ("get-one", "create", "toggle", "put", "delete")
NOISY_CPU_PCT = 25.0  # median share of a core used by other processes that taints a run
_FIGURES = ("rps", "p50", "p99", "cpu_ms", "pg_ms", "new_connections", "client_cpu_pct")
_TITLES = {  # of the phases; the others are remote-<distance>
    "main": "Project vs raw baseline (100 users x 1000 tasks)",
    "pgbouncer": f"Behind PgBouncer (transaction mode, {settings.PGBOUNCER_POOL_SIZE} connections)",
    "scale-out": "Scale-out: the mix with --workers 2 (against the main phase's one worker)",
    "rows-10k": "Table size: 10,000 rows",
    "rows-1M": "Table size: 1,000,000 rows; lists by the user's task count",
}
Key = tuple[str, str, int, str]  # phase, workload, connections, target (a phase's workers)


class Summary:
    def __init__(self, measurements: list[Measurement], servers: list[Measurement]) -> None:
        self.measurements, self.servers = measurements, servers
        self.runs: dict[Key, list[Measurement]] = {}
        for m in measurements:
            key = (str(m["phase"]), str(m["workload"]), int(m["connections"]), str(m["target"]))
            self.runs.setdefault(key, []).append(m)

    def get(self, phase: str, workload: str, conns: int, target: str) -> Stats:
        """Medians over the rounds of one workload on one server (errors summed); {} if none."""
        runs = self.runs.get((phase, workload, conns, target), [])
        figures = [f for f in (*_FIGURES, "trips", "proxy") if runs and f in runs[0]]
        stats = {f: median(float(m[f]) for m in runs) for f in figures}
        return stats | {"errors": sum(float(m["errors"]) for m in runs)} if runs else {}

    def series(self, phase: str) -> list[tuple[str, int]]:
        """The (workload, connections) measured in a phase, in the order they ran."""
        return list(dict.fromkeys((w, c) for p, w, c, _ in self.runs if p == phase))

    def project(self, phase: str, figure: str, conns: int | None = None) -> dict[str, float]:
        """One figure of the project, by workload."""
        pairs = [(w, c) for w, c in self.series(phase) if conns in (None, c)]
        return {w: st[figure] for w, c in pairs if (st := self.get(phase, w, c, "project"))}


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def phase_table(s: Summary, phase: str) -> list[str]:
    """Project against baseline for every workload of a phase."""
    rows, remote = [], phase.startswith("remote-")
    for workload, conns in s.series(phase):
        p, b = s.get(phase, workload, conns, "project"), s.get(phase, workload, conns, "baseline")
        if not (p and b):
            continue

        def both(figure: str, digits: int = 2, p: Stats = p, b: Stats = b) -> str:
            return " / ".join(f"{x[figure]:.{digits}f}" for x in (p, b))

        row = [workload, str(conns), both("rps", 0), f"**{p['rps'] / b['rps']:.2f}**"]
        row += [f"{x['p50']:.1f} / {x['p99']:.1f}" for x in (p, b)]
        row += [both("errors", 0), both("cpu_ms"), both("pg_ms"), both("new_connections", 0)]
        row += [both("client_cpu_pct", 0)]
        rows.append(row + ([f"**{both('trips')}**", f"{p['proxy']:.0f}"] if remote else []))
    header = ["workload", "conns", "req/s p / b", "ratio", "project p50 / p99 ms"]
    header += ["baseline p50 / p99 ms", "errors p / b", "server CPU ms/req p / b"]
    header += ["PostgreSQL CPU ms/req p / b", "new DB connections p / b", "client CPU % p / b"]
    remote_header = ["DB round trips/req p / b", "proxy CPU % (project run)"]
    return table(header + (remote_header if remote else []), rows)


def targets(s: Summary) -> list[list[str]]:
    """Each target with the worst value measured: the largest, or the smallest ratio."""
    rows: list[list[str]] = []

    def row(name: str, values: dict[str, float], limit: float, unit: str = "") -> None:
        ratio = name.startswith("throughput ratio")
        if values:
            worst = (min if ratio else max)(values, key=values.__getitem__)
            value = values[worst]
            where = f" ({worst})" if len(values) > 1 and value else ""
            met = value >= limit if ratio else value <= limit
            goal = f"{'>=' if ratio else '<='} {limit:g}{unit}"
            rows.append([name, f"{value:.2f}{unit}{where}", goal, "met" if met else "**MISSED**"])

    cpu = {w: v for w, v in s.project("main", "cpu_ms").items() if w in SINGLE_ROW}
    row("server CPU per single-row request (project)", cpu, MAX_CPU_MS_SINGLE_ROW, " ms")
    for workload, conns in s.series("main"):
        p, b = s.get("main", workload, conns, "project"), s.get("main", workload, conns, "baseline")
        if p and b:
            row(f"throughput ratio, {workload}", {workload: p["rps"] / b["rps"]}, MIN_RATIO)
    p50, p99 = s.project("main", "p50"), s.project("main", "p99")
    row("p99 / p50 (project)", {w: p99[w] / p50[w] for w in p50}, MAX_P99_OVER_P50)
    for pgbouncer in (False, True):
        errors: dict[str, float] = {}
        for m in (m for m in s.measurements if (m["phase"] == "pgbouncer") == pgbouncer):
            errors[str(m["target"])] = errors.get(str(m["target"]), 0.0) + float(m["errors"])
        row("errors behind PgBouncer" if pgbouncer else "errors, all other runs", errors, 0)
    main = [m for m in s.servers if (m["phase"], m["target"]) == ("main", "project")]
    peak = {str(m["workers"]): float(m["peak_rss_mb"]) for m in main}
    row("project peak RSS, main phase", peak, MAX_RSS_MB, " MB")
    trips: dict[str, float] = {}
    for phase in dict.fromkeys(str(m["phase"]) for m in s.measurements if "trips" in m):
        trips |= {f"{w}, {phase}": v for w, v in s.project(phase, "trips", conns=1).items()}
    row("database round trips per request (project, c=1)", trips, MAX_ROUND_TRIPS)
    far = s.project(f"remote-{TARGET_RTT_MS:g}ms", "p50", conns=1)
    row(f"p50 at c=1, database {TARGET_RTT_MS:g} ms away", far, MAX_C1_P50_MS, " ms")
    small, large = s.project("rows-10k", "p50"), s.project("rows-1M", "p50")
    for name in small.keys() & large.keys():
        slowdown = {name: large[name] / small[name]}
        row(f"{name} p50, 1M rows vs 10k rows", slowdown, MAX_SCALING_SLOWDOWN, "x")
    return rows


def markdown(s: Summary) -> str:
    sections = []
    for phase in dict.fromkeys(str(m["phase"]) for m in s.measurements):
        remote = f"Remote database: {phase.removeprefix('remote-')} round trip (delay proxy)"
        sections.append((_TITLES.get(phase, remote), phase_table(s, phase)))
    shares = sorted(float(m["other_cpu_pct"]) for m in s.measurements)
    noise = (
        f"Other processes on the machine (not the servers, PostgreSQL or the load) used a "
        f"median {median(shares):.0f}% and at most {shares[-1]:.0f}% of one core."
    )
    if median(shares) > NOISY_CPU_PCT:
        noise += " **The machine was busy with other work: re-run on a quiet machine.**"
    target_rows = table(["target", "measured", "goal", ""], targets(s))
    sections.append(("Targets", [*target_rows, "", noise]))
    return "\n\n".join(f"### {title}\n\n" + "\n".join(lines) for title, lines in sections) + "\n"
