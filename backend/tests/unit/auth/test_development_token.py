"""Development tokens must verify like frontend-minted ones, and only for their lifetime."""

import jwt
import pytest

from tests.support.auth_limits import verifier_limits
from todo_api.auth.development_token import mint_development_token
from todo_api.auth.principal import Principal
from todo_api.auth.token_verifier import TokenVerifier
from todo_api.errors import AuthenticationFailed

SECRET = "development-token-test-secret-0123456789"
NOW = 1_800_000_000


def verifier_at(now: float) -> TokenVerifier:
    return TokenVerifier(
        shared_secret=SECRET,
        jwks=None,
        issuer="https://auth.example.test",
        audience="https://auth.example.test",
        clock=lambda: now,
        **(verifier_limits() | {"leeway_seconds": 0}),
    )


async def test_minted_token_verifies_for_its_lifetime_only() -> None:
    token = mint_development_token(
        SECRET, "user_1", ttl_seconds=600, now=NOW, email="ada@example.com", name="Ada"
    )
    expected = Principal(user_id="user_1", email="ada@example.com", name="Ada")
    assert await verifier_at(NOW + 599).verify(token) == expected
    with pytest.raises(AuthenticationFailed):
        await verifier_at(NOW + 600).verify(token)


def test_minted_claims() -> None:
    token = mint_development_token(SECRET, "user_1", ttl_seconds=60, now=NOW + 0.9)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(
        token, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False}
    )
    assert claims == {"sub": "user_1", "iat": NOW, "exp": NOW + 60}


@pytest.mark.parametrize(
    ("secret", "user_id", "ttl_seconds", "complaint"),
    [
        pytest.param("", "user_1", 60, "secret", id="empty secret"),
        pytest.param(SECRET, "user/1", 60, "user id", id="bad user id"),
        pytest.param(SECRET, "", 60, "user id", id="empty user id"),
        pytest.param(SECRET, "user_1", 0, "ttl_seconds", id="zero ttl"),
    ],
)
def test_refuses_bad_arguments(secret: str, user_id: str, ttl_seconds: int, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        mint_development_token(secret, user_id, ttl_seconds=ttl_seconds)
