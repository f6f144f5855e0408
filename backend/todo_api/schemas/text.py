"""String types for user-supplied text that every supported database can store as sent."""

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from todo_api.models.task import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded as UTF-8:
    # either would otherwise fail inside the driver as a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("must contain a non-space character")
    return value


# Titles are trimmed before the length and blank checks, so "  x  " is stored as "x".
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=TITLE_MAX_LENGTH),
    AfterValidator(_not_blank),
    AfterValidator(_storable),
]
Description = Annotated[
    str, StringConstraints(max_length=DESCRIPTION_MAX_LENGTH), AfterValidator(_storable)
]
