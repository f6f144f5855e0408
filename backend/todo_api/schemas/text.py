"""String types for user-supplied text that every supported database can store as sent.

The rules are checked in Python and published in the JSON schema as patterns, so clients
and fuzzers see the same rules the API applies.
"""

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints, WithJsonSchema

from todo_api.models.task import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from todo_api.schemas.invisible_characters import invisible_ranges

# What a title is trimmed of: Unicode White_Space plus the BOM, listed rather than left to
# `\s` or str.strip(), which differ between regex engines and Python (e.g. on U+001C).
_WHITESPACE = (
    "\t\n\v\f\r \u0085\u00a0\u1680"
    + "".join(chr(code) for code in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# Any character but NUL, which PostgreSQL text cannot hold. (Lone surrogates, which UTF-8
# cannot encode, are refused too, but no JSON-schema regex engine can spell them.)
_STORABLE_CHARACTER = r"[^\u0000]"


def _invisible_class() -> str:
    """The characters that draw nothing as a regex character class body: BMP ones as `\\u`
    and four hex digits (Python's `re` and JSON-schema regexes agree on it), the few beyond
    it literally."""
    return "".join(
        _class_character(first)
        if first == last
        else f"{_class_character(first)}-{_class_character(last)}"
        for first, last in invisible_ranges()
    )


def _class_character(code: int) -> str:
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


# NUL is a control character: the class also keeps it out.
_VISIBLE_CHARACTER = f"[^{_invisible_class()}]"
_HAS_VISIBLE_CHARACTER = re.compile(_VISIBLE_CHARACTER)


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


def _trimmed_not_blank(value: str) -> str:
    if _HAS_VISIBLE_CHARACTER.search(value) is None:
        raise ValueError("must contain a visible character")
    return value.strip(_WHITESPACE)


# Limited as sent; stored trimmed, so "  x  " becomes "x".
Title = Annotated[
    str,
    StringConstraints(max_length=TITLE_MAX_LENGTH),
    AfterValidator(_storable),
    AfterValidator(_trimmed_not_blank),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": TITLE_MAX_LENGTH,
            "pattern": f"^{_STORABLE_CHARACTER}*{_VISIBLE_CHARACTER}{_STORABLE_CHARACTER}*$",
            "description": f"At most {TITLE_MAX_LENGTH} characters, stored trimmed; must contain "
            "a visible character.",
        }
    ),
]
Description = Annotated[
    str,
    StringConstraints(max_length=DESCRIPTION_MAX_LENGTH),
    AfterValidator(_storable),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": DESCRIPTION_MAX_LENGTH,
            "pattern": f"^{_STORABLE_CHARACTER}*$",
        }
    ),
]
