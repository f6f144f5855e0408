"""ETags round-trip to the task version they name; If-Match parsing refuses junk."""

from datetime import UTC, datetime

import pytest
from fastapi import HTTPException

from todo_api.api.etag import etag_for, parse_if_match


def test_etag_round_trips_to_the_exact_microsecond() -> None:
    version = datetime(2026, 11, 22, 3, 59, 32, 778656, tzinfo=UTC)
    assert parse_if_match(etag_for(version)) == [version]


def test_star_or_no_header_means_any_version() -> None:
    assert parse_if_match(None) is None
    assert parse_if_match(" * ") is None


def test_weak_tags_never_match_and_lists_are_parsed() -> None:
    assert parse_if_match('W/"5"') == []
    assert [v.microsecond for v in parse_if_match('"1", W/"2", "3"') or []] == [1, 3]


@pytest.mark.parametrize(
    "header", ["5", '"5', '"x"', '""', '"' + "1" * 21 + '"', '"' + "9" * 20 + '"']
)
def test_malformed_tags_are_a_bad_request(header: str) -> None:
    with pytest.raises(HTTPException) as raised:
        parse_if_match(header)
    assert raised.value.status_code == 400
