"""Unit tests need nothing from the machine: a unit test that opens a socket, starts a process
or connects to a database fails, even where the code under test swallows the refusal."""

from collections.abc import Generator

import pytest

from tests.support.isolation import machine_access_refused


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with machine_access_refused(item.nodeid):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with machine_access_refused(item.nodeid):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, None, None]:
    if nextitem is None:
        # The run's (or the xdist worker's) last test: the session's fixtures (databases,
        # PgBouncer) are finalized in its teardown, and they may reach their servers.
        return (yield)
    with machine_access_refused(item.nodeid):
        return (yield)
