"""Tokens captured from a real Better Auth 1.7.24 must verify as Better Auth meant them."""

import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.auth_limits import jwks_limits, verifier_limits
from todo_api.auth.jwks import JwksClient
from todo_api.auth.principal import Principal
from todo_api.auth.token_verifier import TokenVerifier
from todo_api.errors import AuthenticationFailed

FIXTURE_PATH = Path(__file__).parents[2] / "data" / "better-auth-1.7.24-tokens.json"
FIXTURE: dict[str, Any] = json.loads(FIXTURE_PATH.read_text())
CASES = [pytest.param(case, id=case["jwt_plugin_alg"]) for case in FIXTURE["cases"]]
CAPTURED_AT: float = FIXTURE["captured_at_unix"]
BASE_URL: str = FIXTURE["base_url"]

MakeVerifier = Callable[..., TokenVerifier]


@pytest.fixture
async def make_verifier() -> AsyncIterator[MakeVerifier]:
    """Builds verifiers whose JWKS endpoint serves a given case's captured key set."""
    clients: list[httpx.AsyncClient] = []

    def make(
        jwks: dict[str, Any],
        *,
        clock: Callable[[], float] = lambda: CAPTURED_AT,
        shared_secret: str | None = FIXTURE["better_auth_secret"],
        issuer: str = BASE_URL,
    ) -> TokenVerifier:
        transport = httpx.MockTransport(lambda _request: httpx.Response(200, json=jwks))
        clients.append(httpx.AsyncClient(transport=transport))
        jwks_client = JwksClient(f"{BASE_URL}/api/auth/jwks", clients[-1], **jwks_limits())
        return TokenVerifier(
            shared_secret=shared_secret,
            jwks=jwks_client,
            issuer=issuer,
            audience=BASE_URL,
            clock=clock,
            **verifier_limits(),
        )

    yield make
    for client in clients:
        await client.aclose()


def captured_principal(case: dict[str, Any]) -> Principal:
    return Principal(user_id=case["user_id"], email="ada@example.com", name="Ada Lovelace")


@pytest.mark.parametrize("case", CASES)
async def test_jwt_plugin_token_verifies_at_capture_time(
    case: dict[str, Any], make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(case["jwks"])
    assert await verifier.verify(case["jwt_plugin_token"]) == captured_principal(case)


@pytest.mark.parametrize("case", CASES)
async def test_session_data_cookie_verifies_with_the_secret(
    case: dict[str, Any], make_verifier: MakeVerifier
) -> None:
    # Issuer and audience are configured, yet the cookie (which has neither) must pass.
    verifier = make_verifier(case["jwks"])
    assert await verifier.verify(case["session_data_cookie_token"]) == captured_principal(case)


@pytest.mark.parametrize("token_name", ["jwt_plugin_token", "session_data_cookie_token"])
@pytest.mark.parametrize("case", CASES)
async def test_captured_tokens_are_refused_at_the_real_time(
    case: dict[str, Any], token_name: str, make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(case["jwks"], clock=time.time)
    with pytest.raises(AuthenticationFailed):
        await verifier.verify(case[token_name])


@pytest.mark.parametrize("case", CASES)
async def test_session_data_cookie_is_refused_with_another_secret(
    case: dict[str, Any], make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(case["jwks"], shared_secret="another-secret-0123456789abcdefghij")
    with pytest.raises(AuthenticationFailed):
        await verifier.verify(case["session_data_cookie_token"])


@pytest.mark.parametrize("case", CASES)
async def test_session_data_cookie_is_refused_without_a_shared_secret(
    case: dict[str, Any], make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(case["jwks"], shared_secret=None)
    with pytest.raises(AuthenticationFailed):
        await verifier.verify(case["session_data_cookie_token"])


@pytest.mark.parametrize("case", CASES)
async def test_jwt_plugin_token_is_refused_for_another_issuer(
    case: dict[str, Any], make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(case["jwks"], issuer="https://auth.example.org")
    with pytest.raises(AuthenticationFailed):
        await verifier.verify(case["jwt_plugin_token"])


async def test_jwt_plugin_token_is_refused_against_another_deployments_keys(
    make_verifier: MakeVerifier,
) -> None:
    first, second = FIXTURE["cases"][0], FIXTURE["cases"][1]
    verifier = make_verifier(second["jwks"])
    with pytest.raises(AuthenticationFailed):
        await verifier.verify(first["jwt_plugin_token"])
