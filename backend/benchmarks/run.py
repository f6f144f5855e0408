"""`python -m benchmarks.run [--quick] [--phases ...] [--profile]`: the whole benchmark.

Creates and migrates throw-away PostgreSQL databases, seeds them by COPY, serves the project
and the raw baseline side by side (uvicorn, production settings), drives both with wrk in
alternation (directly, behind PgBouncer, and through a delay proxy that plays a remote
database), then stops everything, drops the databases and writes results/<stamp>.{json,md}.
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
from dataclasses import asdict, replace
from pathlib import Path

from benchmarks import dataset, procfs, pyspy, report
from benchmarks.bench import (
    GET_ONE,
    LIST_1000,
    MAIN_WORKLOADS,
    MIX,
    Bench,
    Measurement,
    Runs,
    Workload,
)
from benchmarks.database import BenchDatabase
from benchmarks.loadgen import ensure_wrk, wrk_version
from benchmarks.parity import check_parity
from benchmarks.pooler import pgbouncer_phase
from benchmarks.remote import remote_phase
from benchmarks.series import alternate, same_env, serving
from benchmarks.servers import Server
from benchmarks.settings import (
    ADMIN_URL,
    CONNECTIONS,
    PGBOUNCER_POOL_SIZE,
    REMOTE_RTTS_MS,
    REPO_DIR,
    RESULTS_DIR,
    SAMPLE_SIZE,
    SCALING_CONNECTIONS,
    TOKEN_TTL_SECONDS,
    VENV_BIN,
    RunPlan,
)
from benchmarks.summary import Summary
from benchmarks.targets import targets

PHASES = ("main", "pgbouncer", "remote", "scaling")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, one round (~4 min)")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a local PostgreSQL superuser URL")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated subset of {','.join(PHASES)} (default: all)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also record the project under the get-one load with py-spy (needs ptrace)",
    )
    args = parser.parse_args(argv)
    phases = [name for name in args.phases.split(",") if name]
    if unknown := set(phases) - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
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
        # As users run it: INFO keeps the app's access log on (one line per request, into the
        # server's log file).
        "LOG_LEVEL": "INFO",
    }
    with ExitStack() as stack:
        # The servers run outside the repository, so a developer's .env cannot reach them.
        work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="todo-bench-")))
        _prepare(stack, db, env, work_dir)
        facts = _facts(db, wrk, plan)
        timings: dict[str, float] = {}
        facts["phase_seconds"] = timings
        bench = Bench(plan, db, wrk, work_dir, log_dir)
        profile: pyspy.Profile | None = None
        try:
            if {"main", "pgbouncer", "remote"} & set(phases) or args.profile:
                items, users = _seed_main(bench, secret)
            with _timed(timings, "main"):
                if "main" in phases or args.profile:
                    profile = _main_phase(bench, env, items, users, phases, args.profile)
            with _timed(timings, "pgbouncer"):
                if "pgbouncer" in phases:
                    pgbouncer_phase(bench, env, items, users)
            with _timed(timings, "remote"):
                if "remote" in phases:
                    remote_phase(bench, env, items, users)
            with _timed(timings, "scaling"):
                if "scaling" in phases:
                    large_db = BenchDatabase(args.admin_url, suffix="1m")
                    _prepare(stack, large_db, {**env, "DATABASE_URL": large_db.url}, work_dir)
                    _scaling_phase(bench, env, secret, large_db)
        finally:  # a failed or interrupted run still leaves what it measured
            facts["wall_seconds"] = round(time.monotonic() - started)
            facts["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
            if bench.measurements or profile:
                _write(bench.measurements, facts, stamp, profile)
    return 0


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        if (elapsed := time.monotonic() - started) >= 0.5:
            timings[name] = round(elapsed, 1)


def _prepare(stack: ExitStack, db: BenchDatabase, env: dict[str, str], work_dir: Path) -> None:
    db.create()
    stack.callback(db.drop)
    print(f"database {db.name}: migrating", flush=True)
    db.migrate(env, work_dir, VENV_BIN / "todo-api")


def _seed_main(bench: Bench, secret: str) -> tuple[Path, list[str]]:
    """100 users x 1000 tasks; the items file (a sample of tasks) and the users."""
    sample = bench.db.reseed(dataset.MAIN, SAMPLE_SIZE)
    users = dataset.MAIN[0].user_ids
    bench.tokens = dataset.mint_tokens(secret, users, TOKEN_TTL_SECONDS)
    return bench.items_file(sample), users


def _main_phase(
    bench: Bench,
    env: dict[str, str],
    items: Path,
    users: list[str],
    phases: list[str],
    profile: bool,
) -> pyspy.Profile | None:
    main = Runs("main", items, users, CONNECTIONS)
    recorded = None
    with serving(bench, same_env(env), 1, users[0]) as servers:
        check_parity(servers, bench.tokens, items)
        if "main" in phases:
            for round_number in range(1, bench.plan.rounds + 1):
                for turn, workload in enumerate(MAIN_WORKLOADS, start=round_number):
                    alternate(bench, servers, workload, main, turn, round_number)
        if profile:
            recorded = _profile(bench, servers["project"], main)
    if "main" in phases:
        with serving(bench, same_env(env), 2, users[0]) as servers:
            alternate(bench, servers, MIX, replace(main, phase="scale-out"), 0)
    return recorded


def _profile(bench: Bench, server: Server, runs: Runs) -> pyspy.Profile:
    seconds = bench.plan.profile_seconds
    output = bench.log_dir / "project-get-one.pyspy.txt"
    print(f"profiling the project under get-one for {seconds} s (py-spy)", flush=True)
    recording = pyspy.start_recording(server.pid, seconds, output)
    bench.warm(server, runs, seconds + 1)  # the load outlasts the recording
    return pyspy.finish_recording(recording, output, seconds)


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
                phase,
                path,
                users,
                SCALING_CONNECTIONS,
                databases[phase],
                duration=bench.plan.scaling_duration,
            )
    with ExitStack() as stack:
        servers = {
            phase: stack.enter_context(
                serving(bench, same_env({**env, "DATABASE_URL": db.url}), 1, probe[0])
            )
            for phase, db in databases.items()
        }
        for round_number in range(1, bench.plan.rounds + 1):
            for turn, (workload, _, phases) in enumerate(series, start=round_number):
                for phase in phases if turn % 2 == 0 else phases[::-1]:
                    run = runs[phase, workload.name]
                    alternate(bench, servers[phase], workload, run, turn, round_number)


def _facts(db: BenchDatabase, wrk: str, plan: RunPlan) -> dict[str, object]:
    return {
        "command": "cd <repo> && PYTHONPATH=backend .venv/bin/python -m benchmarks.run"
        + (" --quick" if plan.quick else ""),
        "argv": shlex.join(sys.argv),
        "commit": _commit(),
        "plan": {
            "seconds_per_run": plan.duration,
            "scaling_seconds_per_run": plan.scaling_duration,
            "warmup_seconds": plan.warmup,
            "rounds": plan.rounds,
            "remote_seconds_per_run": plan.remote_duration,
            "remote_c1_warmup_seconds": plan.remote_warmup,
            "remote_rtts_ms": list(REMOTE_RTTS_MS),
            "pgbouncer_seconds_per_run": plan.pgbouncer_duration,
            "pgbouncer_server_pool_size": PGBOUNCER_POOL_SIZE,
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


def _write(
    measurements: list[Measurement],
    facts: dict[str, object],
    stamp: str,
    profile: pyspy.Profile | None,
) -> None:
    summary = Summary(measurements)
    text = report.markdown(summary, profile)
    document = {
        **facts,
        "targets": [asdict(target) for target in targets(summary)],
        "profile": asdict(profile) if profile else None,
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
