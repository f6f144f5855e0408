"""wrk: install it if missing, run one workload, read its result and its own CPU use."""

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.settings import LUA_SCRIPT, WRK_THREADS, WRK_TIMEOUT

_MARKER = "BENCH_RESULT "


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    status_errors: int
    socket_errors: int
    pool_exhausted: int
    wrk_cpu_seconds: float

    @property
    def errors(self) -> int:
        return self.status_errors + self.socket_errors

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is missing: run `sudo apt-get install wrk` (Debian/Ubuntu)")
    print("installing wrk with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("apt-get did not install wrk")
    return found


def wrk_version(wrk: str) -> str:
    completed = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    return (completed.stdout or completed.stderr).splitlines()[0].strip()


def run_wrk(
    wrk: str,
    url: str,
    *,
    mode: str,
    items: Path,
    pool: Path | None,
    limit: int,
    connections: int,
    seconds: int,
) -> WrkResult:
    """One bounded wrk run; wrk's CPU comes from its rusage when it is reaped."""
    command = [
        wrk,
        "-t",
        str(WRK_THREADS),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        WRK_TIMEOUT,
        "-s",
        str(LUA_SCRIPT),
        url,
        "--",
        mode,
        str(items),
        str(pool) if pool else "-",
        str(limit),
        str(WRK_THREADS),
    ]
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read()
    lines = [line for line in text.splitlines() if line.startswith(_MARKER)]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{text}")
    raw = json.loads(lines[-1][len(_MARKER) :])
    seconds_run = raw["duration_us"] / 1e6
    return WrkResult(
        requests=raw["requests"],
        seconds=seconds_run,
        rps=raw["requests"] / seconds_run,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        status_errors=raw["status"],
        socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        pool_exhausted=raw["pool_exhausted"],
        wrk_cpu_seconds=usage.ru_utime + usage.ru_stime,
    )
