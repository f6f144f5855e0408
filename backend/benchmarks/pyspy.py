"""The optional profile: py-spy samples the project under the get-one load, by layer.

py-spy (`record`, 250 Hz, raw collapsed stacks with full file names) attaches to the
server's process with ptrace (root, or ptrace_scope 0). Every frame is put in a layer: a
`todo_api` subpackage, a third-party package (fastapi, starlette, sqlalchemy, psycopg,
uvicorn, pydantic, ...) or a standard-library module (asyncio, logging, ...). Self share: the
layer of the innermost frame; inclusive share: the layer appears anywhere in the stack below
the event loop. The start-up frames every request runs under (the console script, `todo-api
serve`, uvicorn's `run`, asyncio's runner and loop) are left out, or uvicorn and asyncio
would be ~100% inclusive by construction. SQLAlchemy's greenlet stacks start at the session
call (py-spy shows the greenlet's own stack), so they count below the loop too.
"""

import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.settings import VENV_BIN

RATE_HZ = 250
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_STDLIB = re.compile(r"/lib/python3\.\d+/(?P<module>[A-Za-z_][A-Za-z0-9_]*)")
_SITE = re.compile(r"/(?:site|dist)-packages/(?P<package>[A-Za-z_][A-Za-z0-9_]*)")
_APP = re.compile(r"/todo_api/(?P<layer>[A-Za-z_][A-Za-z0-9_]*)")
# Leading frames of the process's start-up and of the event loop itself.
_ENTRY = re.compile(
    r"/bin/[^/]+$|/todo_api/cli\.py$|/uvicorn/(?:main|server|_compat)\.py$"
    r"|/asyncio/(?:runners|base_events|events)\.py$"
)
_MIN_SHOWN_SHARE = 0.005


@dataclass(frozen=True, slots=True)
class LayerShare:
    layer: str
    self_share: float
    inclusive_share: float


@dataclass(frozen=True, slots=True)
class Profile:
    samples: int
    seconds: int
    layers: list[LayerShare]
    raw_path: str

    def markdown(self) -> list[str]:
        lines = [
            f"py-spy, {RATE_HZ} Hz, {self.seconds} s, {self.samples} samples of the project "
            f"under the get-one load (32 connections); raw stacks: `{self.raw_path}`.",
            "",
            "| layer | self % | inclusive % (below the event loop) |",
            "|---|---|---|",
        ]
        lines += [
            f"| {s.layer} | {100 * s.self_share:.1f} | {100 * s.inclusive_share:.1f} |"
            for s in self.layers
        ]
        return lines


def start_recording(pid: int, seconds: int, output: Path) -> subprocess.Popen[bytes]:
    """py-spy attached to `pid` for `seconds`; wait on the returned process."""
    command = [
        str(VENV_BIN / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--rate",
        str(RATE_HZ),
        "--duration",
        str(seconds),
        "--format",
        "raw",
        "--full-filenames",
        "--output",
        str(output),
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish_recording(process: subprocess.Popen[bytes], output: Path, seconds: int) -> Profile:
    _, stderr = process.communicate(timeout=seconds + 30)
    if process.returncode != 0 or not output.exists():
        message = stderr.decode(errors="replace").strip()
        raise RuntimeError(f"py-spy failed ({process.returncode}): {message}")
    return summarize(output, seconds)


def summarize(raw: Path, seconds: int) -> Profile:
    stacks = _read(raw)
    total = sum(stacks.values())
    self_counts: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks.items():
        self_counts[layer_of(frames[-1])] += count
        below_loop = _below_loop(frames)
        layers = {layer_of(frame) for frame in below_loop}
        for layer in layers:
            inclusive[layer] += count
        if any(layer.startswith("todo_api.") for layer in layers):
            inclusive["todo_api (all)"] += count
    shares = [
        LayerShare(layer, self_counts[layer] / total, inclusive[layer] / total)
        for layer in inclusive
        if inclusive[layer] / total >= _MIN_SHOWN_SHARE
    ]
    shares.sort(key=lambda share: (-share.inclusive_share, -share.self_share))
    return Profile(samples=total, seconds=seconds, layers=shares, raw_path=raw.name)


def layer_of(frame: str) -> str:
    """The layer of one `function (file:line)` frame."""
    path = _file_of(frame)
    if found := _APP.search(path):
        return f"todo_api.{found.group('layer').removesuffix('.py')}"
    if found := _SITE.search(path):
        return found.group("package")
    if found := _STDLIB.search(path):
        module = found.group("module")
        return module if module in sys.stdlib_module_names else f"stdlib ({module})"
    return "other"


def _read(raw: Path) -> Counter[tuple[str, ...]]:
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[tuple(stack.split(";"))] += int(count)
    if not stacks:
        raise RuntimeError(f"py-spy recorded no samples in {raw}")
    return stacks


def _below_loop(frames: tuple[str, ...]) -> tuple[str, ...]:
    """The frames under the start-up and event-loop ones (the innermost frame at least)."""
    depth = 0
    while depth < len(frames) - 1 and _ENTRY.search(_file_of(frames[depth])):
        depth += 1
    return frames[depth:]


def _file_of(frame: str) -> str:
    match = _FRAME.match(frame)
    return match.group("file") if match else frame
