"""What every form of Better Auth's session cookie cache carries, read as Better Auth reads it:
the payload is `{session, user, updatedAt, version}`; `getSession` takes the user's id from
`user.id` and drops the cache once the cookie's expiry or `session.expiresAt` has passed."""

import re
from datetime import datetime
from typing import Any

from todo_api.auth.claims import TimeRules, is_finite_number
from todo_api.auth.principal import Principal, principal_of
from todo_api.errors import AuthenticationFailed

_NO_SESSION_EXPIRY = "The session cookie's session has no valid expiry time."
# The only date form Better Auth revives from the cookie's JSON (its `safeJSONParse`); any
# other `session.expiresAt` fails its schema, and the cache is not used.
_ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z")


def principal_from_session_cache(payload: dict[str, Any], times: TimeRules) -> Principal:
    """The user of a verified cookie-cache payload whose session has not expired."""
    session, user = payload.get("session"), payload.get("user")
    if not isinstance(session, dict) or not isinstance(user, dict):
        raise AuthenticationFailed("The session cookie does not hold a session.")
    if not is_finite_number(payload.get("updatedAt")):
        raise AuthenticationFailed("The session cookie does not hold a session.")
    times.check_not_past(_instant(session.get("expiresAt")), "The session has expired.")
    return principal_of(user.get("id"), user.get("email"), user.get("name"))


def _instant(value: object) -> float:
    if not isinstance(value, str) or _ISO_INSTANT.fullmatch(value) is None:
        raise AuthenticationFailed(_NO_SESSION_EXPIRY)
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError as error:  # a month 13, a February 30th...
        raise AuthenticationFailed(_NO_SESSION_EXPIRY) from error
