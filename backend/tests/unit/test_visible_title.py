"""The blank-title rule: Python's check and the published JSON-schema pattern agree exactly.

Schemathesis (and any client generating from the contract) relies on "valid by the schema is
accepted by the API"; the negative run relies on the converse.
"""

import re
import sys
import unicodedata

import pytest
from pydantic import TypeAdapter, ValidationError

from todo_api.schemas import invisible_characters, text
from todo_api.schemas.task import TaskCreate

TITLE = TypeAdapter(text.Title)
PATTERN = re.compile(TaskCreate.model_json_schema()["properties"]["title"]["pattern"])
# Every BMP character but the surrogates (which no JSON text can carry alone), plus the
# astral planes' first stretches and the tag characters.
CHARACTERS = [
    chr(code)
    for code in [
        *range(0xD800),
        *range(0xE000, 0x10000),
        *range(0x10000, 0x12000),
        *range(0xE0000, 0xE0200),
    ]
]


def accepted(title: str) -> bool:
    try:
        TITLE.validate_python(title)
    except ValidationError:
        return False
    return True


def test_each_single_character_title_is_accepted_exactly_when_the_pattern_matches() -> None:
    disagreements = [
        f"U+{ord(character):04X}"
        for character in CHARACTERS
        if accepted(character) != (PATTERN.fullmatch(character) is not None)
    ]
    assert disagreements == []


@pytest.mark.parametrize("padding", ["", " ", "\u200b", "\u3164 \u0301"])
def test_padding_neither_makes_nor_breaks_a_title(padding: str) -> None:
    for core, expected in [("x", True), ("\u2800", False), ("\ufeff\u2060", False)]:
        title = f"{padding}{core}{padding}"
        assert accepted(title) is expected, repr(title)
        assert (PATTERN.fullmatch(title) is not None) is expected, repr(title)


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def running_unicode_invisible() -> set[int]:
    """What the running Python's Unicode calls invisible, by the table's own definition."""
    return {
        code
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in invisible_characters.INVISIBLE_CATEGORIES
    } | {ord(character) for character in invisible_characters.BLANK_FILLERS}


def test_the_fixed_table_is_unicodes_own_and_covers_the_running_python() -> None:
    listed = {
        code
        for first, last in invisible_characters.invisible_ranges()
        for code in range(first, last + 1)
    }
    running = running_unicode_invisible()
    if unicodedata.unidata_version == invisible_characters.UNICODE_VERSION:
        # Python 3.13: the table is exactly what Unicode says.
        assert listed == running
    else:
        # An older Unicode (Python 3.11) knows fewer characters, never other categories; a
        # newer one that adds invisible characters fails here: regenerate the table then.
        assert sorted(running - listed) == []
        assert unicodedata.unidata_version < invisible_characters.UNICODE_VERSION
