"""Tokens for local development and scripts (`todo-api token USER_ID`), signed like the
ones a frontend mints with the shared secret, so the service verifies them the same way."""

import time

import jwt

from todo_api.auth.principal import is_valid_user_id
from todo_api.models.task import USER_ID_RULE


def mint_development_token(
    secret: str,
    user_id: str,
    *,
    ttl_seconds: int,
    now: float | None = None,
    email: str | None = None,
    name: str | None = None,
) -> str:
    """An HS256 token for `user_id` with `sub`, `iat` and `exp` (plus email/name if given)."""
    if not secret:
        raise ValueError("The secret must not be empty")
    if not is_valid_user_id(user_id):
        raise ValueError(f"The user id must be {USER_ID_RULE}")
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    issued_at = int(time.time() if now is None else now)
    claims = {"sub": user_id, "iat": issued_at, "exp": issued_at + ttl_seconds}
    if email is not None:
        claims["email"] = email
    if name is not None:
        claims["name"] = name
    return jwt.encode(claims, secret, algorithm="HS256")
