"""Container tests: skipped (with the reason) where buildah cannot run, failed instead when
REQUIRE_CONTAINER is set (CI sets it); their measurements close the run's summary."""

import os
from typing import NoReturn

import pytest

from tests.container import measurements


def container_required() -> bool:
    return os.environ.get("REQUIRE_CONTAINER", "") not in {"", "0", "false"}


def skip_or_fail(reason: str) -> NoReturn:
    if container_required():
        pytest.fail(f"REQUIRE_CONTAINER is set but {reason}")
    pytest.skip(f"{reason} (REQUIRE_CONTAINER=1 fails instead)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in measurements.LINES:
        terminalreporter.write_line(f"container: {line}", bold=True)
