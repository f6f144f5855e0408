"""The servers under test (the project's `todo-api serve` and the baseline) and the CPU that
the machine, PostgreSQL and each server spend, read with psutil."""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from subprocess import STDOUT
from typing import IO, Literal

import httpx
import psutil

from benchmarks.settings import BACKEND_DIR, HOST, VENV_BIN
from tests.support.api_process import free_port

Kind = Literal["project", "baseline"]
KINDS: tuple[Kind, Kind] = ("project", "baseline")
_READY_SECONDS = 60.0
_STOP_SECONDS = 20.0


def busy_cpu_seconds() -> float:
    """CPU time of the whole machine, all cores, outside idle and I/O wait."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - times.iowait - times.guest - times.guest_nice


def postgres_cpu_seconds() -> float:
    """CPU of every PostgreSQL process, backends that exited since included: the postmaster
    reaps them, so their CPU is among its children's."""
    processes = psutil.process_iter(["name", "ppid"])
    postgres = {p.pid: p for p in processes if p.info["name"] == "postgres"}
    total = 0.0
    for process in postgres.values():
        with contextlib.suppress(psutil.NoSuchProcess):
            user, system, children_user, children_system, _ = process.cpu_times()
            postmaster = process.info["ppid"] not in postgres
            total += user + system + (children_user + children_system if postmaster else 0.0)
    return total


class Server:
    """One server process (uvicorn; with workers > 1, a supervisor and its workers)."""

    def __init__(
        self, kind: Kind, workers: int, env: dict[str, str], work_dir: Path, log_dir: Path
    ) -> None:
        self.kind, self.workers = kind, workers
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.peak_rss_mb = 0.0  # known once stopped
        self._log_path = log_dir / f"{kind}-{workers}w-{self.port}.log"
        self._log: IO[bytes] = self._log_path.open("wb")
        env = {**env, "PYTHONPATH": os.pathsep.join([str(BACKEND_DIR), env.get("PYTHONPATH", "")])}
        where = ["--host", HOST, "--port", str(self.port), "--workers", str(workers)]
        # The baseline gets the uvicorn defaults `todo-api serve` has (uvloop, httptools).
        baseline = ["python", "-m", "uvicorn", "benchmarks.baseline_app:app", "--no-access-log"]
        command = ["todo-api", "serve"] if kind == "project" else [*baseline, "--log-level=warning"]
        command = [str(VENV_BIN / command[0]), *command[1:], *where]
        self._process = subprocess.Popen(
            command, env=env, cwd=work_dir, stdout=self._log, stderr=STDOUT, start_new_session=True
        )
        self._psutil = psutil.Process(self._process.pid)

    def wait_ready(self, probe_path: str, token: str) -> None:
        """Until an authenticated list request answers 200 (so the pool reaches the database)."""
        deadline = time.monotonic() + _READY_SECONDS
        while time.monotonic() < deadline:
            self.check_alive()
            headers = {"Authorization": f"Bearer {token}"}
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + probe_path, headers=headers).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.kind} server not ready in {_READY_SECONDS}s:\n{self.log_tail()}")

    def check_alive(self) -> None:
        if self._process.poll() is not None:
            raise RuntimeError(f"{self.kind} server exited:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        tree = [self._psutil, *self._psutil.children(recursive=True)]
        return sum(sum(process.cpu_times()[:2]) for process in tree)

    def log_tail(self) -> str:
        self._log.flush()
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        """SIGINT, then SIGKILL to the group; the kernel's peak RSS of the largest process
        (its `ru_maxrss`, taken over reaped workers too) comes with the exit status."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            deadline = time.monotonic() + _STOP_SECONDS
            while (reaped := os.wait4(self._process.pid, os.WNOHANG))[0] == 0:
                if time.monotonic() > deadline:
                    os.killpg(self._process.pid, signal.SIGKILL)
                    reaped = os.wait4(self._process.pid, 0)
                    break
                time.sleep(0.05)
            self._process.returncode = os.waitstatus_to_exitcode(reaped[1])
            self.peak_rss_mb = reaped[2].ru_maxrss / 1024
        self._log.close()
