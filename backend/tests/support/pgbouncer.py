"""A real PgBouncer in transaction pooling mode, the way Neon's pooled endpoint runs.

Debian's `pgbouncer` is started with an ini of its own in a temporary directory, on a free
loopback port, in front of the test PostgreSQL. `default_pool_size = 2` makes consecutive
transactions of one client land on different server connections, so anything that leans on
per-connection state (prepared statements, `SET`) breaks here as it would on Neon.
PgBouncer refuses to run as root: as root it is started as the `postgres` user.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.api_process import free_port

_CANDIDATES = ("pgbouncer", "/usr/sbin/pgbouncer")
_START_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class PgBouncer:
    port: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def pgbouncer_executable() -> str | None:
    for candidate in _CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


@contextmanager
def running_pgbouncer(
    executable: str, upstream_host: str, upstream_port: int, *, server_pool_size: int = 2
) -> Iterator[PgBouncer]:
    """Start PgBouncer in front of `upstream`, wait until it accepts, stop it afterwards."""
    run_as = _unprivileged_user()
    directory = Path(tempfile.mkdtemp(prefix="todo-pgbouncer-"))
    port = free_port()
    log_path = directory / "pgbouncer.log"
    ini = directory / "pgbouncer.ini"
    (directory / "userlist.txt").write_text('"postgres" ""\n')
    ini.write_text(
        "[databases]\n"
        f"* = host={upstream_host} port={upstream_port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {directory / 'userlist.txt'}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {server_pool_size}\nmin_pool_size = 0\nreserve_pool_size = 0\n"
        "max_client_conn = 500\nmax_db_connections = 0\n"
        # What drivers send at start-up and PgBouncer does not track: accepted, not applied.
        "ignore_startup_parameters = extra_float_digits,options\n"
        "server_reset_query =\n"
        f"logfile = {log_path}\npidfile = {directory / 'pgbouncer.pid'}\n"
    )
    if run_as is not None:
        shutil.chown(directory, run_as.pw_uid, run_as.pw_gid)
        for path in directory.iterdir():
            shutil.chown(path, run_as.pw_uid, run_as.pw_gid)
    process = subprocess.Popen(  # noqa: S603 (our own executable and ini)
        [executable, str(ini)],
        user=run_as.pw_uid if run_as else None,
        group=run_as.pw_gid if run_as else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_listening(process, port, log_path)
        yield PgBouncer(port=port, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)


def _unprivileged_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    return pwd.getpwnam("postgres")


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
            raise RuntimeError(f"pgbouncer exited with {process.returncode}:\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"pgbouncer did not listen on {port} within {_START_TIMEOUT_SECONDS} s")
