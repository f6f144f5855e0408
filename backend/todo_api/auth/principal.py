"""Who is calling: the identity a verified token vouches for."""

import re
from dataclasses import dataclass
from typing import TypeGuard

# Better Auth ids are 32 characters of [A-Za-z0-9]; the wider set and the cap keep ids
# from other issuers usable while ruling out anything that could misbehave in a path or a log.
USER_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")


def is_valid_user_id(value: object) -> TypeGuard[str]:
    """True when `value` is a string shaped like a user id this service accepts."""
    return isinstance(value, str) and USER_ID_PATTERN.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    email: str | None = None
    name: str | None = None
