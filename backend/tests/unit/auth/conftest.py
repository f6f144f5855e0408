"""Keys, an HTTP client and a loopback JWKS server for the auth tests."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.jwks_server import LoopbackJwksServer
from tests.support.signing_keys import SigningKey, new_ec_key, new_ed25519_key, new_rsa_key


@pytest.fixture(scope="session")
def ed25519_key() -> SigningKey:
    return new_ed25519_key("ed25519-key")


@pytest.fixture(scope="session")
def p256_key() -> SigningKey:
    return new_ec_key("p256-key", ec.SECP256R1(), "ES256")


@pytest.fixture(scope="session")
def rsa_key() -> SigningKey:
    return new_rsa_key("rsa-key")


@pytest.fixture
def jwks_server() -> Iterator[LoopbackJwksServer]:
    with LoopbackJwksServer() as server:
        yield server


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    # trust_env=False: no proxy from the environment may sit between us and loopback.
    async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
        yield client
