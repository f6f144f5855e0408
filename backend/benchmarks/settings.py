"""Where things are and the fixed knobs of a run; nothing here touches the machine."""

import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BACKEND_DIR = PACKAGE_DIR.parent
REPO_DIR = BACKEND_DIR.parent
RESULTS_DIR = PACKAGE_DIR / "results"
LUA_SCRIPT = PACKAGE_DIR / "workload.lua"
VENV_BIN = Path(sys.executable).parent

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
HOST = "127.0.0.1"
CONNECTIONS = 32
# Fewer connections for the scaling probes, so queueing in the server does not hide query time.
SCALING_CONNECTIONS = 8
WRK_THREADS = 1
TIMEOUT_SECONDS = 5
WRK_TIMEOUT = f"{TIMEOUT_SECONDS}s"
TOKEN_TTL_SECONDS = 4 * 3600
SAMPLE_SIZE = 20_000

# Remote-database mode: PostgreSQL behind the delay proxy, this far away (round trip).
REMOTE_RTTS_MS = (2.0, 20.0)
REMOTE_CONNECTIONS = (1, CONNECTIONS)
# PgBouncer mode: server connections PgBouncer keeps per database (the tests use 2 to catch
# per-connection state; fewer than the project's 15 client connections, so they are shared).
PGBOUNCER_POOL_SIZE = 10

# Targets (issues "Performance: a reproducible benchmark ...", "Neon in production",
# "CPU per request").
MIN_RATIO = 0.5
MAX_CPU_MS_SINGLE_ROW = 0.7
MAX_P99_OVER_P50 = 3.0
MAX_SCALING_SLOWDOWN = 1.25
MAX_RSS_MB = 150.0
MAX_ROUND_TRIPS = 1.0
TARGET_RTT_MS = 20.0  # the c=1 median target: 1.3 x this + 5 ms
MAX_C1_P50_MS = 1.3 * TARGET_RTT_MS + 5.0


@dataclass(frozen=True, slots=True)
class RunPlan:
    """Durations in seconds; `rounds` repeats the alternating project/baseline runs."""

    duration: int  # each main-phase run (wrk takes whole seconds)
    warmup: int
    rounds: int
    quick: bool
    scaling_duration: int  # each table-size and list-size run
    remote_duration: int  # each remote run, at c=1 and at c=32
    remote_warmup: float  # at most, before each c=1 run; c=32 warms the pool once per server
    pgbouncer_duration: int  # each run behind PgBouncer (the pool is warmed once per server)
    profile_seconds: int

    @classmethod
    def for_mode(cls, quick: bool) -> "RunPlan":
        if quick:
            return cls(
                duration=2,
                warmup=1,
                rounds=1,
                quick=True,
                scaling_duration=2,
                remote_duration=1,
                remote_warmup=1.5,
                pgbouncer_duration=2,
                profile_seconds=4,
            )
        return cls(
            duration=10,
            warmup=1,
            rounds=2,
            quick=False,
            scaling_duration=5,
            remote_duration=3,
            remote_warmup=2.0,
            pgbouncer_duration=4,
            profile_seconds=8,
        )
