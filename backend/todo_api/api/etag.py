"""Entity tags for tasks. A task's version is its `updated_at`, which every write sets anew.

The tag is `updated_at` exactly as the task's JSON shows it, in quotes
(`"2026-11-22T03:59:32.778656Z"`), so a client holding a task from a list sends
`If-Match: "${task.updated_at}"` without date arithmetic. Tags of the earlier form,
microseconds since the epoch (`"1795319972778656"`), still name the same versions.
"""

import re
from datetime import UTC, datetime, timedelta

from fastapi import HTTPException
from pydantic import TypeAdapter

# A conditional write compares the version with each listed tag in its WHERE clause; a
# client needs one or two (the version it saw), and an unbounded list must never reach
# the database as an unbounded statement.
MAX_IF_MATCH_TAGS = 32

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The serializer the response body uses for `updated_at` (it drops a zero fraction).
_VERSION_JSON = TypeAdapter(datetime).serializer

# 17 digits of microseconds reach past the year 5000, so no valid tag overflows a datetime.
_MICROSECONDS = r"[0-9]{1,17}"
_INSTANT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z"
_TAG = rf'(W/)?"({_INSTANT}|{_MICROSECONDS})"'
IF_MATCH_PATTERN = rf"^\s*(\*|{_TAG}(\s*,\s*{_TAG})*)\s*$"
_IF_MATCH = re.compile(IF_MATCH_PATTERN)

# The parameter as the contract publishes it (a route's `openapi_extra`); AuthenticatedRoute
# parses the header before the body on the routes that declare it.
IF_MATCH_HEADER = {
    "name": "if-match",
    "in": "header",
    "required": False,
    "description": "Optional: the task's ETag (its `updated_at` in quotes, as a GET or a list "
    "shows it); the write is refused with 412 if the task has changed since. "
    f'Absent, or "*", means any version. At most {MAX_IF_MATCH_TAGS} tags.',
    "schema": {"type": "string", "default": "*", "pattern": IF_MATCH_PATTERN},
}


def etag_for(updated_at: datetime) -> str:
    # The JSON of a datetime is its ISO string in quotes: exactly the tag.
    return _VERSION_JSON.to_json(updated_at).decode()


def parse_if_match(header: str | None) -> list[datetime] | None:
    """The versions an If-Match header accepts; None (absent, or `*`) when any will do.

    Weak tags never pass the strong comparison If-Match requires, and a tag that names no
    instant (a 31st of February) names no version: both are dropped, and a header left with
    no tag matches nothing (the write is refused with 412). A header that is not a list of
    tags, or lists more than MAX_IF_MATCH_TAGS, is a bad request.
    """
    if header is None or header.strip() == "*":
        return None
    # Counted before anything else reads the header: a flood costs one pass in C.
    if header.count(",") >= MAX_IF_MATCH_TAGS:
        raise HTTPException(
            400, f"If-Match lists more than {MAX_IF_MATCH_TAGS} entity tags; send at most that."
        )
    if _IF_MATCH.fullmatch(header) is None:
        raise HTTPException(
            400, 'If-Match must be "*" or entity tags such as "2026-11-22T03:59:32.778656Z".'
        )
    versions = []
    for tag in header.split(","):
        tag = tag.strip()
        if not tag.startswith("W/") and (version := _version(tag.strip('"'))) is not None:
            versions.append(version)
    return versions


def _version(opaque: str) -> datetime | None:
    if opaque.isdigit():
        return _EPOCH + timedelta(microseconds=int(opaque))
    try:
        return datetime.fromisoformat(opaque)
    except ValueError:
        return None
