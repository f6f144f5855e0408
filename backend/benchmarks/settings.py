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
TIMEOUT_SECONDS = 5
TOKEN_TTL_SECONDS = 4 * 3600
SAMPLE_SIZE = 20_000
REMOTE_RTTS_MS = (2.0, 20.0)  # the remote database's distances (round trip)
# PgBouncer mode: server connections per database, fewer than the project's 15 client
# connections, so they are shared.
PGBOUNCER_POOL_SIZE = 10
# The bodies both load generators send (workload.lua gets them as arguments).
CREATE_BODY = (
    '{"title":"Created by the load test","description":"A new task with a '
    'description of a typical length for a todo item.","is_completed":false}'
)
PUT_BODY = (
    '{"title":"Edited by the load test","description":"Replaced in full by a '
    'PUT of a typical size.","is_completed":true}'
)


@dataclass(frozen=True, slots=True)
class RunPlan:
    """Seconds (wrk takes whole ones); `rounds` repeats the alternating main-phase runs."""

    duration: int  # each main-phase run
    rounds: int
    scaling_duration: int  # each table-size and list-size run
    remote_duration: int  # each remote run, at c=1 and at c=32
    remote_warmup: float  # at most, before each c=1 run
    pgbouncer_duration: int
    warmup: int = 1


FULL = RunPlan(10, 2, 5, 3, 2.0, 4)
QUICK = RunPlan(2, 1, 2, 1, 1.5, 2)


@dataclass(frozen=True, slots=True)
class Workload:
    name: str
    mode: str  # workload.lua's mode
    limit: int = 0  # page size of list requests
    delete_share: float = 0.0  # fraction of requests that delete a pool task
    writes: bool = False  # restore the seeded rows afterwards


GET_ONE = Workload("get-one", "get")
LIST_1000 = Workload("list-1000", "list", limit=1000)
CREATE = Workload("create", "create", writes=True)
TOGGLE = Workload("toggle", "toggle", writes=True)
PUT = Workload("put", "put", writes=True)
DELETE = Workload("delete", "delete", delete_share=1.0, writes=True)
MIX = Workload("mix", "mix", limit=50, delete_share=0.05, writes=True)
MAIN_WORKLOADS = (GET_ONE, LIST_1000, CREATE, TOGGLE, PUT, DELETE, MIX)
# One operation at a time, the list a full 50-task page (remote-database mode).
OPERATIONS = (GET_ONE, Workload("list-50", "list", limit=50), CREATE, TOGGLE, PUT, DELETE)
