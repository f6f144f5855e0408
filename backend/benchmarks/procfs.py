"""CPU time and memory of processes, read from /proc (Linux only)."""

import os
from collections.abc import Iterable
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants that are still alive."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pending.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


def _stat(path: Path) -> tuple[str, list[str]] | None:
    """A /proc/<pid>/stat: the command name and the fields after it (state first)."""
    try:
        text = path.read_text()
    except OSError:
        return None
    name, _, rest = text.partition(" (")[2].rpartition(")")
    return name, rest.split()


def _cpu(fields: list[str], *, children: bool = False) -> int:
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks + (int(fields[13]) + int(fields[14]) if children else 0)  # cutime, cstime


def cpu_seconds(pids: Iterable[int]) -> float:
    """User plus system CPU of the processes (0 for any that has exited)."""
    stats = (_stat(Path(f"/proc/{pid}/stat")) for pid in pids)
    return sum(_cpu(stat[1]) for stat in stats if stat) / _TICKS


def postgres_cpu_seconds() -> float:
    """CPU of every PostgreSQL process, including backends that have exited since.

    An exiting backend is reaped by the postmaster, which then counts its CPU among its
    children's (cutime, cstime); short-lived connections are therefore not lost.
    """
    postgres = {
        path.parent.name: stat[1]
        for path in Path("/proc").glob("[0-9]*/stat")
        if (stat := _stat(path)) and stat[0] == "postgres"
    }
    # The postmaster is the one postgres process whose parent is not a postgres process.
    ticks = (_cpu(fields, children=fields[1] not in postgres) for fields in postgres.values())
    return sum(ticks) / _TICKS


def machine_busy_seconds() -> float:
    """CPU time spent by the whole machine, all cores, outside idle and I/O wait."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / _TICKS


def memory_mb(pid: int, field: str) -> float:
    """A `Vm*` line of /proc/<pid>/status (VmRSS now, VmHWM the peak), in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def machine_facts() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return {
        "cpus": str(len(os.sched_getaffinity(0))),
        "cpu_model": cpu,
        "memory_gib": f"{mem_kb / 1024 / 1024:.1f}",
        "kernel": os.uname().release,
    }


def thread_cpu_seconds(native_id: int) -> float:
    """User plus system CPU of one thread of this process (0 if it is gone)."""
    stat = _stat(Path(f"/proc/self/task/{native_id}/stat"))
    return _cpu(stat[1]) / _TICKS if stat else 0.0
