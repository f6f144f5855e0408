"""Finding a process's descendants through /proc (Linux)."""

from pathlib import Path

_PROC = Path("/proc")


def parent_pids() -> dict[int, int]:
    """Every live process id, mapped to its parent's."""
    parents: dict[int, int] = {}
    for stat in _PROC.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone since the listing
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after it.
        fields = text[text.rindex(")") + 2 :].split()
        parents[int(stat.parent.name)] = int(fields[1])
    return parents


def descendants(pid: int) -> list[int]:
    parents = parent_pids()
    found: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found.extend(children)
        frontier.extend(children)
    return found


def leaf_descendants(pid: int) -> list[int]:
    """The descendants of `pid` that have no children of their own."""
    below = descendants(pid)
    parents = parent_pids()
    return [p for p in below if not any(parents.get(other) == p for other in below)]


def command_line(pid: int) -> list[str]:
    raw = (_PROC / str(pid) / "cmdline").read_bytes()
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]
