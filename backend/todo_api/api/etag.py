"""Entity tags for tasks: a task's version is its `updated_at`, and its tag that value exactly
as the task's JSON shows it, in quotes, so a client sends `If-Match: "${task.updated_at}"`."""

import re
from contextlib import suppress
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException
from pydantic import TypeAdapter

from todo_api.api.optional_header import OptionalHeader

# A conditional write compares the version with each listed tag in its WHERE clause; a
# client needs one or two (the version it saw), and an unbounded list must never reach
# the database as an unbounded statement.
MAX_IF_MATCH_TAGS = 32

# The serializer the response body uses for `updated_at` (it drops a zero fraction).
_VERSION_JSON = TypeAdapter(datetime).serializer

_INSTANT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z"
_TAG = rf'(W/)?"{_INSTANT}"'
IF_MATCH_PATTERN = rf"^\s*(\*|{_TAG}(\s*,\s*{_TAG})*)\s*$"
_IF_MATCH = re.compile(IF_MATCH_PATTERN)


def etag_for(updated_at: datetime) -> str:
    # The JSON of a datetime is its ISO string in quotes: exactly the tag.
    return _VERSION_JSON.to_json(updated_at).decode()


def parse_if_match(header: str | None) -> list[datetime] | None:
    """The versions an If-Match header accepts; None (absent, or `*`) when any will do.

    Weak tags (never strongly equal) and tags that name no instant (a 31st of February) are
    dropped: a header left with none matches nothing, a 412.
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
        if not tag.startswith("W/"):
            with suppress(ValueError):
                versions.append(datetime.fromisoformat(tag.strip('"')))
    return versions


IF_MATCH = OptionalHeader(
    "if-match",
    parse_if_match,
    "Optional: the task's ETag (its `updated_at` in quotes, as a GET or a list shows it); the "
    "write is refused with 412 if the task has changed since. "
    f'Absent, or "*", means any version. At most {MAX_IF_MATCH_TAGS} tags.',
    {"type": "string", "default": "*", "pattern": IF_MATCH_PATTERN},
)
# The versions a conditional write accepts; None when any will do.
IfMatch = Annotated[list[datetime] | None, Depends(IF_MATCH)]
