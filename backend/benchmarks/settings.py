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
WRK_TIMEOUT = "5s"
TOKEN_TTL_SECONDS = 4 * 3600
SAMPLE_SIZE = 20_000

# Targets (issue "Performance: a reproducible benchmark against a raw-driver baseline").
MIN_RATIO = 0.6
MIN_RATIO_LIST = 0.5
MAX_P99_OVER_P50 = 3.0
MAX_SCALING_SLOWDOWN = 1.25
MAX_RSS_MB = 150.0


@dataclass(frozen=True, slots=True)
class RunPlan:
    """Durations in seconds; `rounds` repeats the alternating project/baseline main phase."""

    duration: int
    warmup: int
    rounds: int
    quick: bool

    @classmethod
    def for_mode(cls, quick: bool) -> "RunPlan":
        if quick:
            return cls(duration=3, warmup=1, rounds=1, quick=True)
        return cls(duration=10, warmup=1, rounds=2, quick=False)
