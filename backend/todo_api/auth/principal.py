"""Who is calling: the identity a verified token vouches for."""

import re
from dataclasses import dataclass
from typing import Any, TypeGuard

from todo_api.errors import AuthenticationFailed
from todo_api.models.task import USER_ID_PATTERN

_USER_ID = re.compile(USER_ID_PATTERN)


def is_valid_user_id(value: object) -> TypeGuard[str]:
    """True when `value` is a string shaped like a user id this service accepts."""
    return isinstance(value, str) and _USER_ID.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    email: str | None = None
    name: str | None = None


def principal_of(user_id: object, email: object, name: object) -> Principal:
    """The caller a verified credential names; a missing or odd user id is refused."""
    if user_id is None:
        raise AuthenticationFailed("The token does not name a user.")
    if not is_valid_user_id(user_id):
        raise AuthenticationFailed("The token's user id is not valid.")
    return Principal(
        user_id=user_id,
        email=email if isinstance(email, str) else None,
        name=name if isinstance(name, str) else None,
    )


def principal_from_subject(claims: dict[str, Any]) -> Principal:
    """The caller a JWT names in `sub` (jwt() plugin and minted tokens), with its email/name."""
    return principal_of(claims.get("sub"), claims.get("email"), claims.get("name"))
