"""Remote-database mode: both servers reach PostgreSQL through a delay proxy.

For each distance (REMOTE_RTTS_MS), each server gets its own proxy, so its round-trip counter
sees that server's traffic alone. Each of the six operations runs at concurrency 1 (the
one-connection Python client: exact latencies and round trips per request) and at 32 (wrk:
round trips per request are approximate there, high by at most the requests in flight when
wrk stops, i.e. 32 / requests).
"""

from dataclasses import replace
from pathlib import Path

from benchmarks.bench import OPERATIONS, Bench, Runs
from benchmarks.link import LinkLoop
from benchmarks.series import alternate, serving
from benchmarks.servers import KINDS
from benchmarks.settings import CONNECTIONS, REMOTE_RTTS_MS

_POOL_WARMUP_SECONDS = 1


def phase_name(rtt_ms: float) -> str:
    return f"remote-{rtt_ms:g}ms"


def remote_phase(bench: Bench, env: dict[str, str], items: Path, users: list[str]) -> None:
    plan = bench.plan
    host, port = bench.db.address
    for rtt_ms in REMOTE_RTTS_MS:
        with LinkLoop() as loop:
            links = {kind: loop.open(host, port, rtt_ms) for kind in KINDS}
            envs = {
                kind: {**env, "DATABASE_URL": bench.db.url_via(links[kind].port)} for kind in KINDS
            }
            one = Runs(
                phase_name(rtt_ms),
                items,
                users,
                connections=1,
                duration=plan.remote_duration,
                warmup=plan.remote_warmup,
                sequential=True,
                links=links,
                link_loop=loop,
                # Short runs write little (pool rows sort last, created rows are few): the
                # seeded rows are restored once per series, not after every writing run.
                restore_each=False,
            )
            many = replace(one, connections=CONNECTIONS, warmup=0, sequential=False)
            with serving(bench, envs, 1, users[0]) as servers:
                for turn, operation in enumerate(OPERATIONS):
                    alternate(bench, servers, operation, one, turn)
                bench.db.restore()
                # Fill each pool once (the c=1 runs used one connection), not before each run.
                for server in servers.values():
                    bench.warm(server, many, _POOL_WARMUP_SECONDS)
                for turn, operation in enumerate(OPERATIONS):
                    alternate(bench, servers, operation, many, turn)
                bench.db.restore()
