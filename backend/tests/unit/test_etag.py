"""ETags round-trip to the task version they name; the If-Match pattern admits only tags."""

import re
from datetime import UTC, datetime

import pytest

from todo_api.api.etag import IF_MATCH_PATTERN, etag_for, parse_if_match


def test_etag_round_trips_to_the_exact_microsecond() -> None:
    version = datetime(2026, 11, 22, 3, 59, 32, 778656, tzinfo=UTC)
    assert parse_if_match(etag_for(version)) == [version]


def test_star_means_any_version() -> None:
    assert parse_if_match(" * ") is None


def test_weak_tags_never_match_and_lists_are_parsed() -> None:
    assert parse_if_match('W/"5"') == []
    assert [v.microsecond for v in parse_if_match('"1", W/"2",  "3"') or []] == [1, 3]


@pytest.mark.parametrize("header", ["*", '"1"', ' "1" , W/"2" ', '"' + "9" * 17 + '"'])
def test_pattern_admits_tags(header: str) -> None:
    assert re.match(IF_MATCH_PATTERN, header)
    parse_if_match(header)  # and every admitted header parses, without overflow


@pytest.mark.parametrize("header", ["5", '"5', '"x"', '""', '"' + "1" * 18 + '"', '*, "1"', ""])
def test_pattern_refuses_anything_else(header: str) -> None:
    assert not re.match(IF_MATCH_PATTERN, header)
