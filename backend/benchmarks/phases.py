"""The phases of a run: each starts both servers its way and measures them in alternation."""

import shutil
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from benchmarks import data, settings
from benchmarks.bench import Bench, Runs, alternate, serving
from benchmarks.data import BenchDatabase
from benchmarks.link import delay_links
from benchmarks.servers import KINDS
from tests.support.pgbouncer import pgbouncer_executable, running_pgbouncer

_POOL_WARMUP_SECONDS = 1


def seed_main(bench: Bench, secret: str) -> tuple[Path, list[str]]:
    """100 users x 1000 tasks; the items file (a sample of tasks) and the users."""
    sample = bench.db.reseed(data.MAIN, settings.SAMPLE_SIZE)
    users = data.MAIN[0].user_ids
    bench.tokens = data.mint_tokens(secret, users, settings.TOKEN_TTL_SECONDS)
    return bench.items_file(sample), users


def main_phase(bench: Bench, env: dict[str, str], items: Path, users: list[str]) -> None:
    """Every workload, rounds of alternating runs; then the mix with two workers each."""
    runs = Runs("main", items, users, settings.CONNECTIONS, bench.plan.duration, bench.plan.warmup)
    with serving(bench, env, 1, users[0], "main") as servers:
        for round_number in range(1, bench.plan.rounds + 1):
            for turn, workload in enumerate(settings.MAIN_WORKLOADS, start=round_number):
                alternate(bench, servers, workload, runs, turn, round_number)
    with serving(bench, env, 2, users[0], "scale-out") as servers:
        alternate(bench, servers, settings.MIX, replace(runs, phase="scale-out"), 0)


def pgbouncer_phase(bench: Bench, env: dict[str, str], items: Path, users: list[str]) -> None:
    """Every main workload behind PgBouncer in transaction mode, as Neon's pooled endpoint runs
    (prepared statements off, whatever the environment says)."""
    if (executable := pgbouncer_executable()) is None:
        print("pgbouncer is not installed (apt-get install pgbouncer): mode skipped", flush=True)
        return
    db = bench.db
    size, seconds = settings.PGBOUNCER_POOL_SIZE, bench.plan.pgbouncer_duration
    with running_pgbouncer(executable, db.host, db.port, server_pool_size=size) as pgb:
        pooled = {**env, "DATABASE_URL": db.url_via(pgb.port), "DB_PREPARED_STATEMENTS": "false"}
        runs = Runs("pgbouncer", items, users, settings.CONNECTIONS, seconds, 0)
        try:
            with serving(bench, pooled, 1, users[0], "pgbouncer") as servers:
                for server in servers.values():  # fill each pool once, not before each run
                    bench.load(server, settings.GET_ONE, runs, _POOL_WARMUP_SECONDS)
                for turn, workload in enumerate(settings.MAIN_WORKLOADS):
                    alternate(bench, servers, workload, runs, turn)
        finally:  # the helper removes its directory on exit: keep the log with the others
            shutil.copy(pgb.log_path, bench.log_dir / "pgbouncer.log")


def remote_phase(bench: Bench, env: dict[str, str], items: Path, users: list[str]) -> None:
    """Each server reaches PostgreSQL through its own delay proxy, which counts its round
    trips; every operation at c=1 (exact counts) and at c=32 (high by at most 32/requests)."""
    plan, db = bench.plan, bench.db
    for rtt_ms in settings.REMOTE_RTTS_MS:
        with delay_links(db.host, db.port, rtt_ms, KINDS) as (links, link_cpu):
            urls = {kind: db.url_via(link.proxy.port) for kind, link in links.items()}
            phase = f"remote-{rtt_ms:g}ms"
            one = Runs(phase, items, users, 1, plan.remote_duration, plan.remote_warmup)
            one = replace(one, sequential=True, links=links, link_cpu=link_cpu)
            many = replace(one, connections=settings.CONNECTIONS, warmup=0, sequential=False)
            with serving(bench, env, 1, users[0], phase, **urls) as servers:
                for turn, operation in enumerate(settings.OPERATIONS):
                    alternate(bench, servers, operation, one, turn)
                for server in servers.values():  # c=1 used one connection: fill each pool
                    bench.load(server, settings.GET_ONE, many, _POOL_WARMUP_SECONDS)
                for turn, operation in enumerate(settings.OPERATIONS):
                    alternate(bench, servers, operation, many, turn)


def scaling_phase(bench: Bench, env: dict[str, str], secret: str, large: BenchDatabase) -> None:
    """10,000 and 1,000,000 rows side by side, in two databases, measured in alternation:
    get-one and list-1000 on both, and lists of users with 10 to 10,000 tasks on the large."""
    dbs = {"rows-10k": bench.db, "rows-1M": large}
    print("seeding 10,000 and 1,000,000 rows", flush=True)
    samples = {"rows-10k": bench.db.reseed([data.PROBE], settings.SAMPLE_SIZE)}
    samples["rows-1M"] = large.reseed(data.LARGE, settings.SAMPLE_SIZE)
    users = [user for cohort in data.LARGE for user in cohort.user_ids]
    bench.tokens = data.mint_tokens(secret, users, settings.TOKEN_TTL_SECONDS)
    probe = data.PROBE.user_ids
    plan = bench.plan

    def runs(phase: str, items: list[data.Item], users: list[str]) -> Runs:
        path = bench.items_file(items)
        conns, seconds = settings.SCALING_CONNECTIONS, plan.scaling_duration
        return Runs(phase, path, users, conns, seconds, plan.warmup, dbs[phase])

    lists = [(u, data.NO_TASK) for u in probe]
    series = [(settings.GET_ONE, {p: runs(p, samples[p], probe) for p in dbs})]
    series += [(settings.LIST_1000, {p: runs(p, lists, probe) for p in dbs})]
    for cohort in data.SIZE_COHORTS:
        items = [(u, data.NO_TASK) for u in cohort.user_ids]
        workload = settings.Workload(f"list-{cohort.tasks_each}", "list", limit=1000)
        series.append((workload, {"rows-1M": runs("rows-1M", items, cohort.user_ids)}))
    with ExitStack() as stack:
        servers = {}
        for phase, db in dbs.items():
            scaled = {**env, "DATABASE_URL": db.url}
            servers[phase] = stack.enter_context(serving(bench, scaled, 1, probe[0], phase))
        for round_number in range(1, plan.rounds + 1):
            for turn, (workload, by_phase) in enumerate(series, start=round_number):
                for phase in by_phase if turn % 2 == 0 else reversed(by_phase):
                    run = by_phase[phase]
                    alternate(bench, servers[phase], workload, run, turn, round_number)
