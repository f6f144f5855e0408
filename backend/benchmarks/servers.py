"""Start and stop the servers under test: the project (`todo-api serve`) and the baseline."""

import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import IO, Literal

from benchmarks import procfs
from benchmarks.settings import BACKEND_DIR, HOST, VENV_BIN

Kind = Literal["project", "baseline"]
KINDS: tuple[Kind, Kind] = ("project", "baseline")
_READY_SECONDS = 60.0
_STOP_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def command_for(kind: Kind, port: int, workers: int) -> list[str]:
    where = ["--host", HOST, "--port", str(port), "--workers", str(workers)]
    if kind == "project":
        return [str(VENV_BIN / "todo-api"), "serve", *where]
    # The same uvicorn defaults `todo-api serve` gets (uvloop, httptools), minus its app.
    return [
        str(VENV_BIN / "python"),
        "-m",
        "uvicorn",
        "benchmarks.baseline_app:app",
        *where,
        "--no-access-log",
        "--log-level",
        "warning",
    ]


class Server:
    """One server process (uvicorn; with workers > 1, a supervisor and its workers)."""

    def __init__(
        self, kind: Kind, workers: int, env: dict[str, str], work_dir: Path, log_dir: Path
    ) -> None:
        self.kind, self.workers = kind, workers
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._log_path = log_dir / f"{kind}-{workers}w-{self.port}.log"
        self._log: IO[bytes] = self._log_path.open("wb")
        env = {**env, "PYTHONPATH": os.pathsep.join([str(BACKEND_DIR), env.get("PYTHONPATH", "")])}
        self._process = subprocess.Popen(
            command_for(kind, self.port, workers),
            env=env,
            cwd=work_dir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self._process.pid

    def wait_ready(self, probe_path: str, token: str) -> None:
        """Until an authenticated list request answers 200 (so the pool reaches the database)."""
        deadline = time.monotonic() + _READY_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited:\n{self.log_tail()}")
            if _status(self.port, probe_path, token) == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.kind} server not ready in {_READY_SECONDS}s:\n{self.log_tail()}")

    def check_alive(self) -> None:
        if self._process.poll() is not None:
            raise RuntimeError(f"{self.kind} server died:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        return procfs.cpu_seconds(procfs.process_tree(self.pid))

    def peak_rss_mb(self) -> float:
        """VmHWM of the largest process (the one worker, or the largest of several)."""
        return max(procfs.memory_mb(pid, "VmHWM") for pid in procfs.process_tree(self.pid))

    def rss_mb(self) -> float:
        return max(procfs.memory_mb(pid, "VmRSS") for pid in procfs.process_tree(self.pid))

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        self._log.close()


def _status(port: int, path: str, token: str) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        connection.close()
