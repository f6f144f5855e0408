"""A loopback JWKS server and an HTTP client for the JWKS client's tests."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support.jwks_server import LoopbackJwksServer


@pytest.fixture
def jwks_server() -> Iterator[LoopbackJwksServer]:
    with LoopbackJwksServer() as server:
        yield server


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    # trust_env=False: no proxy from the environment may sit between us and loopback.
    async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
        yield client
