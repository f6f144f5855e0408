"""What the container tests measured (build times, image size) closes the run's summary."""

import pytest

from tests.container import measurements


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in measurements.LINES:
        terminalreporter.write_line(f"container: {line}", bold=True)
