"""The server under test of the edge modules that need nothing but production settings.

Modules that need other settings (a deadline, a JWKS URL, CORS origins) define their own `api`.
"""

from collections.abc import AsyncIterator

import pytest

from tests.conftest import TEST_SECRET
from tests.support.api_process import ApiProcess, running_api, server_environment
from tests.support.databases import sqlite_url


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ApiProcess]:
    """A production-mode `todo-api serve` on SQLite, one per test module."""
    workdir = tmp_path_factory.mktemp("edge")
    environment = server_environment(sqlite_url(workdir), TEST_SECRET, ENVIRONMENT="production")
    async with running_api(environment, workdir) as api:
        yield api
