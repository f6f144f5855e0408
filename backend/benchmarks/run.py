"""`python -m benchmarks.run [--quick] [--phases ...]`: the project against the raw baseline,
on throw-away local databases; writes results/<stamp>.{json,md}. See specs/performance.md."""

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
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path

import psutil

from benchmarks.bench import Bench
from benchmarks.data import BenchDatabase
from benchmarks.phases import main_phase, pgbouncer_phase, remote_phase, scaling_phase, seed_main
from benchmarks.report import Summary, markdown, targets
from benchmarks.settings import ADMIN_URL, FULL, QUICK, REPO_DIR, RESULTS_DIR, RunPlan

PHASES = ("main", "pgbouncer", "remote", "scaling")
MAIN_DATA_PHASES = {"main": main_phase, "pgbouncer": pgbouncer_phase, "remote": remote_phase}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, one round (~5 min)")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a local PostgreSQL superuser URL")
    parser.add_argument("--phases", default=",".join(PHASES), help="a comma-separated subset")
    args = parser.parse_args(argv)
    phases = [name for name in args.phases.split(",") if name]
    if unknown := set(phases) - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    plan = QUICK if args.quick else FULL
    started, stamp = time.monotonic(), time.strftime("%Y%m%d-%H%M%S")
    log_dir = RESULTS_DIR / f"{stamp}-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # As users run it: INFO keeps the app's access log on, written to the server's log file.
    env = {**os.environ, "ENVIRONMENT": "production", "LOG_LEVEL": "INFO"}
    env["BETTER_AUTH_SECRET"] = secret
    with ExitStack() as stack:
        # The servers run outside the repository, so a developer's .env cannot reach them.
        work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="todo-bench-")))
        db = stack.enter_context(BenchDatabase(args.admin_url).created(env, work_dir))
        env["DATABASE_URL"] = db.url
        facts, bench = _facts(db, plan), Bench(plan, db, work_dir, log_dir)
        try:
            if set(phases) & set(MAIN_DATA_PHASES):
                items, users = seed_main(bench, secret)
            for name in (name for name in PHASES if name in phases):
                if name == "scaling":
                    large = BenchDatabase(args.admin_url, suffix="1m").created(env, work_dir)
                    scaling_phase(bench, env, secret, stack.enter_context(large))
                else:
                    MAIN_DATA_PHASES[name](bench, env, items, users)
        finally:  # a failed or interrupted run still leaves what it measured
            facts["wall_seconds"] = round(time.monotonic() - started)
            if bench.measurements:
                _write(bench, facts, stamp)
    return 0


def _facts(db: BenchDatabase, plan: RunPlan) -> dict[str, object]:
    def output(*command: str) -> str:
        return subprocess.run(command, cwd=REPO_DIR, capture_output=True, text=True).stdout

    # The measured revision, marked `+changes` when the application code differs from it.
    changes = "+changes" if output("git", "status", "--porcelain", "backend/todo_api") else ""
    return {
        "command": shlex.join(["python", "-m", "benchmarks.run", *sys.argv[1:]]),
        "commit": output("git", "rev-parse", "--short", "HEAD").strip() + changes,
        "plan": asdict(plan),
        "machine": {
            "cpus": psutil.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "kernel": platform.release(),
            "postgresql": db.query("SHOW server_version"),
            "python": platform.python_version(),
            "wrk": output("wrk", "-v").split("\n", 1)[0],
        },
    }


def _write(bench: Bench, facts: dict[str, object], stamp: str) -> None:
    summary = Summary(bench.measurements, bench.servers)
    text = markdown(summary)
    results = {"targets": targets(summary), "servers": bench.servers}
    document = {**facts, **results, "measurements": bench.measurements}
    (RESULTS_DIR / f"{stamp}.json").write_text(json.dumps(document, indent=2))
    (RESULTS_DIR / f"{stamp}.md").write_text(text)
    print(f"\n{text}\nwall time: {facts['wall_seconds']} s; results: {RESULTS_DIR / stamp}.json")


if __name__ == "__main__":
    raise SystemExit(main())
