"""PgBouncer mode: the throughput workloads with both servers behind a real PgBouncer.

Debian's PgBouncer 1.18 in transaction mode (the test suite's helper), as Neon's pooled
endpoint runs: consecutive transactions of one client may land on different server
connections, and 1.18 does not carry prepared statements across them. Both servers get
DB_PREPARED_STATEMENTS=false, which is the default, said explicitly so that an environment
that opts in for the direct runs cannot leak into these.
"""

import shutil
from pathlib import Path

from benchmarks.bench import MAIN_WORKLOADS, Bench, Runs
from benchmarks.series import alternate, same_env, serving
from benchmarks.settings import CONNECTIONS, PGBOUNCER_POOL_SIZE
from tests.support.pgbouncer import pgbouncer_executable, running_pgbouncer

PHASE = "pgbouncer"
_POOL_WARMUP_SECONDS = 1


def pgbouncer_phase(bench: Bench, env: dict[str, str], items: Path, users: list[str]) -> bool:
    """False (and nothing measured) when pgbouncer is not installed."""
    executable = pgbouncer_executable()
    if executable is None:
        print("pgbouncer is not installed (apt-get install pgbouncer): mode skipped", flush=True)
        return False
    host, port = bench.db.address
    with running_pgbouncer(executable, host, port, server_pool_size=PGBOUNCER_POOL_SIZE) as bouncer:
        pooled = {
            **env,
            "DATABASE_URL": bench.db.url_via(bouncer.port),
            "DB_PREPARED_STATEMENTS": "false",
        }
        runs = Runs(
            PHASE, items, users, CONNECTIONS, duration=bench.plan.pgbouncer_duration, warmup=0
        )
        try:
            with serving(bench, same_env(pooled), 1, users[0]) as servers:
                for server in servers.values():  # fill each pool once, not before each run
                    bench.warm(server, runs, _POOL_WARMUP_SECONDS)
                for turn, workload in enumerate(MAIN_WORKLOADS):
                    alternate(bench, servers, workload, runs, turn)
        finally:  # the helper removes its directory on exit: keep the log with the others
            shutil.copy(bouncer.log_path, bench.log_dir / "pgbouncer.log")
    return True
