"""`python -m benchmarks.run [--quick]`: the whole benchmark, from a fresh database to a report.

Creates and migrates throw-away PostgreSQL databases, seeds them by COPY, serves the project
and the raw baseline side by side (uvicorn, production settings), drives both with wrk in
alternation, then stops everything, drops the databases and writes results/<stamp>.{json,md}.
See specs/performance.md.
"""

import argparse
import json
import os
import platform
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks import dataset, procfs, report
from benchmarks.bench import GET_ONE, LIST_1000, MAIN_WORKLOADS, MIX, Bench, Measurement, Workload
from benchmarks.database import BenchDatabase
from benchmarks.loadgen import ensure_wrk, wrk_version
from benchmarks.servers import KINDS, Kind, Server
from benchmarks.settings import (
    ADMIN_URL,
    CONNECTIONS,
    REPO_DIR,
    RESULTS_DIR,
    SAMPLE_SIZE,
    SCALING_CONNECTIONS,
    TOKEN_TTL_SECONDS,
    VENV_BIN,
    RunPlan,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 s runs, one round (~3 min)")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a local PostgreSQL superuser URL")
    args = parser.parse_args(argv)
    plan = RunPlan.for_mode(args.quick)
    wrk = ensure_wrk()
    started, stamp = time.monotonic(), time.strftime("%Y%m%d-%H%M%S")
    log_dir = RESULTS_DIR / f"{stamp}-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    db = BenchDatabase(args.admin_url)
    env = {
        **os.environ,
        "DATABASE_URL": db.url,
        "ENVIRONMENT": "production",
        "BETTER_AUTH_SECRET": secret,
        "LOG_LEVEL": "WARNING",
    }
    with ExitStack() as stack:
        # The servers run outside the repository, so a developer's .env cannot reach them.
        work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="todo-bench-")))
        _prepare(stack, db, env, work_dir)
        facts = _facts(db, wrk, plan)
        bench = Bench(plan, db, wrk, work_dir, log_dir)
        try:
            _main_phase(bench, env, secret)
            large_db = BenchDatabase(args.admin_url, suffix="1m")
            _prepare(stack, large_db, {**env, "DATABASE_URL": large_db.url}, work_dir)
            _scaling_phase(bench, env, secret, large_db)
        finally:  # a failed or interrupted run still leaves what it measured
            facts["wall_seconds"] = round(time.monotonic() - started)
            facts["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
            if bench.measurements:
                _write(bench.measurements, facts, stamp)
    return 0


def _prepare(stack: ExitStack, db: BenchDatabase, env: dict[str, str], work_dir: Path) -> None:
    db.create()
    stack.callback(db.drop)
    print(f"database {db.name}: migrating", flush=True)
    db.migrate(env, work_dir, VENV_BIN / "todo-api")


@contextmanager
def _servers(
    bench: Bench, env: dict[str, str], workers: int, user: str
) -> Iterator[dict[Kind, Server]]:
    servers: dict[Kind, Server] = {}
    try:
        for kind in KINDS:
            servers[kind] = Server(kind, workers, env, bench.work_dir, bench.log_dir)
        for server in servers.values():
            server.wait_ready(f"/api/v1/{user}/tasks?limit=1", bench.tokens[user])
        yield servers
    finally:
        for server in servers.values():
            server.stop()


@dataclass(frozen=True, slots=True)
class Runs:
    """What a series of runs shares: the phase, the items, the pool owners, the load."""

    phase: str
    items: Path
    users: list[str]
    connections: int
    db: BenchDatabase | None = None  # the one the servers use, if not the bench's own

    def alternate(
        self,
        bench: Bench,
        servers: dict[Kind, Server],
        workload: Workload,
        turn: int,
        round_number: int = 1,
    ) -> None:
        """Both servers, one after the other; which goes first alternates with `turn`."""
        for kind in KINDS if turn % 2 == 0 else KINDS[::-1]:
            m = bench.measure(
                servers[kind],
                workload,
                phase=self.phase,
                items=self.items,
                users=self.users,
                connections=self.connections,
                round_number=round_number,
                db=self.db,
            )
            _progress(m)


def _main_phase(bench: Bench, env: dict[str, str], secret: str) -> None:
    sample = bench.db.reseed(dataset.MAIN, SAMPLE_SIZE)
    users = dataset.MAIN[0].user_ids
    bench.tokens = dataset.mint_tokens(secret, users, TOKEN_TTL_SECONDS)
    items = bench.items_file(sample)
    main = Runs("main", items, users, CONNECTIONS)
    with _servers(bench, env, 1, users[0]) as servers:
        for round_number in range(1, bench.plan.rounds + 1):
            for turn, workload in enumerate(MAIN_WORKLOADS, start=round_number):
                main.alternate(bench, servers, workload, turn, round_number)
    with _servers(bench, env, 2, users[0]) as servers:
        Runs("scale-out", items, users, CONNECTIONS).alternate(bench, servers, MIX, 0)


def _scaling_phase(bench: Bench, env: dict[str, str], secret: str, large_db: BenchDatabase) -> None:
    """10,000 and 1,000,000 rows side by side, in two databases, measured in alternation."""
    cohorts = {"rows-10k": dataset.SMALL, "rows-1M": dataset.large()}
    databases = {"rows-10k": bench.db, "rows-1M": large_db}
    samples = {}
    for phase, db in databases.items():
        print(f"seeding {sum(c.rows for c in cohorts[phase]):,} rows", flush=True)
        samples[phase] = db.reseed(cohorts[phase], SAMPLE_SIZE)
    users_1m = [user for cohort in cohorts["rows-1M"] for user in cohort.user_ids]
    bench.tokens = dataset.mint_tokens(secret, users_1m, TOKEN_TTL_SECONDS)
    probe = dataset.PROBE.user_ids
    series = [(GET_ONE, probe, tuple(databases)), (LIST_1000, probe, tuple(databases))]
    series += [
        (Workload(f"list-{c.tasks_each}", "list", limit=1000), c.user_ids, ("rows-1M",))
        for c in dataset.SIZE_COHORTS
    ]
    runs: dict[tuple[str, str], Runs] = {}
    for workload, users, phases in series:
        for phase in phases:
            items = samples[phase] if workload is GET_ONE else [(u, dataset.NO_TASK) for u in users]
            path = bench.items_file(items)
            runs[phase, workload.name] = Runs(
                phase, path, users, SCALING_CONNECTIONS, databases[phase]
            )
    with ExitStack() as stack:
        servers = {
            phase: stack.enter_context(
                _servers(bench, {**env, "DATABASE_URL": db.url}, 1, probe[0])
            )
            for phase, db in databases.items()
        }
        for round_number in range(1, bench.plan.rounds + 1):
            for turn, (workload, _, phases) in enumerate(series, start=round_number):
                for phase in phases if turn % 2 == 0 else phases[::-1]:
                    run = runs[phase, workload.name]
                    run.alternate(bench, servers[phase], workload, turn, round_number)


def _progress(m: Measurement) -> None:
    w = m.wrk
    note = f" (delete pool ran out {w.pool_exhausted}x)" if w.pool_exhausted else ""
    print(
        f"{m.phase:9} {m.workload:10} {m.target:8} {m.workers}w {m.connections:2}c: "
        f"{w.rps:7.0f} req/s  p50 {w.p50_ms:7.1f} ms  p99 {w.p99_ms:7.1f} ms  "
        f"errors {w.errors}{note}  rss {m.peak_rss_mb:.0f} MB  "
        f"other CPU {100 * m.other_cpu_seconds / w.seconds:.0f}%",
        flush=True,
    )


def _facts(db: BenchDatabase, wrk: str, plan: RunPlan) -> dict[str, object]:
    return {
        "command": "cd <repo> && PYTHONPATH=backend .venv/bin/python -m benchmarks.run"
        + (" --quick" if plan.quick else ""),
        "argv": shlex.join(sys.argv),
        "commit": _commit(),
        "plan": {
            "seconds_per_run": plan.duration,
            "warmup_seconds": plan.warmup,
            "rounds": plan.rounds,
            "connections": CONNECTIONS,
            "scaling_connections": SCALING_CONNECTIONS,
        },
        "machine": {
            **procfs.machine_facts(),
            "postgresql": db.server_version(),
            "python": platform.python_version(),
            "wrk": wrk_version(wrk),
        },
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def _commit() -> str:
    """The measured revision, marked `+changes` when the application code differs from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO_DIR, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "backend/todo_api") else "")


def _write(measurements: list[Measurement], facts: dict[str, object], stamp: str) -> None:
    summary = report.Summary(measurements)
    text = report.markdown(summary)
    document = {
        **facts,
        "targets": [asdict(target) for target in report.targets(summary)],
        "measurements": [m.as_dict() for m in measurements],
    }
    (RESULTS_DIR / f"{stamp}.json").write_text(json.dumps(document, indent=2, default=str))
    (RESULTS_DIR / f"{stamp}.md").write_text(text)
    print(
        f"\n{text}\nmachine: {json.dumps(facts['machine'])}\nwall time: {facts['wall_seconds']} s"
    )
    print(f"results: {RESULTS_DIR / stamp}.json and .md")


if __name__ == "__main__":
    raise SystemExit(main())
