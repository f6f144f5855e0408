"""What tests measured (build times, image sizes), printed at the end of the run's summary.

A pytest plugin: under pytest-xdist each worker hands its lines to the controller, which prints
them with its own summary.
"""

from typing import Any

import pytest

_WORKER_OUTPUT_KEY = "run_summary_lines"
LINES: list[str] = []


def record(line: str) -> None:
    LINES.append(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    worker_output: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if worker_output is not None:
        worker_output[_WORKER_OUTPUT_KEY] = list(LINES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    LINES.extend(getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT_KEY, []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in LINES:
        terminalreporter.write_line(line, bold=True)
