"""ETags are `updated_at` as the JSON shows it and name that version; the If-Match pattern
admits only such tags (anything else is a bad request), and a header lists at most 32."""

import re
import uuid
from datetime import UTC, datetime

import pytest
from fastapi import HTTPException

from todo_api.api.etag import IF_MATCH_PATTERN, MAX_IF_MATCH_TAGS, etag_for, parse_if_match
from todo_api.schemas.task import TaskPublic

VERSION = datetime(2026, 11, 22, 3, 59, 32, 778656, tzinfo=UTC)


@pytest.mark.parametrize("version", [VERSION, VERSION.replace(microsecond=0)])
def test_the_etag_is_updated_at_exactly_as_the_json_shows_it(version: datetime) -> None:
    task = TaskPublic(
        id=uuid.uuid4(),
        user_id="alice",
        title="t",
        description=None,
        is_completed=False,
        created_at=version,
        updated_at=version,
    )
    assert etag_for(version) == f'"{task.model_dump(mode="json")["updated_at"]}"'


def test_new_style_tags_name_their_version() -> None:
    assert etag_for(VERSION) == '"2026-11-22T03:59:32.778656Z"'
    assert parse_if_match(etag_for(VERSION)) == [VERSION]
    whole_second = VERSION.replace(microsecond=0)
    assert etag_for(whole_second) == '"2026-11-22T03:59:32Z"'
    assert parse_if_match(etag_for(whole_second)) == [whole_second]


def test_a_tag_of_microseconds_is_a_bad_request() -> None:
    with pytest.raises(HTTPException) as refused:
        parse_if_match('"1795319972778656"')
    assert refused.value.status_code == 400


def test_star_means_any_version() -> None:
    assert parse_if_match(" * ") is None


def test_weak_tags_and_impossible_instants_match_nothing() -> None:
    assert parse_if_match('W/"2026-11-22T03:59:32Z"') == []
    assert parse_if_match('"2026-02-31T00:00:00Z"') == []
    header = (
        '"2026-11-22T03:59:32.000001Z", W/"2026-11-22T03:59:32.000002Z",  '
        '"2026-11-22T03:59:32.000003Z"'
    )
    assert [v.microsecond for v in parse_if_match(header) or []] == [1, 3]


def test_more_than_32_tags_is_a_bad_request() -> None:
    tags = [f'"2026-11-22T03:59:{n:02}Z"' for n in range(MAX_IF_MATCH_TAGS)]
    assert len(parse_if_match(",".join(tags)) or []) == MAX_IF_MATCH_TAGS
    with pytest.raises(HTTPException) as refused:
        parse_if_match(",".join([*tags, '"2026-11-22T03:59:59Z"']))
    assert refused.value.status_code == 400
    assert str(MAX_IF_MATCH_TAGS) in str(refused.value.detail)


@pytest.mark.parametrize(
    "header",
    [
        "*",
        ' "2026-11-22T03:59:32Z" , W/"2026-11-22T03:59:33Z" ',
        '"9999-12-31T23:59:59.999999Z"',
        '"2026-11-22T03:59:32.778656Z"',
        '"2026-11-22T03:59:32Z", W/"2026-11-22T03:59:32.5Z", "2026-11-22T03:59:31Z"',
    ],
)
def test_pattern_admits_tags(header: str) -> None:
    assert re.match(IF_MATCH_PATTERN, header)
    parse_if_match(header)  # and every admitted header parses, without overflow


@pytest.mark.parametrize(
    "header",
    [
        "5",
        '"5',
        '"x"',
        '""',
        '"1"',
        '"1795319972778656"',  # microseconds since the epoch: not a form this API sends
        '*, "1"',
        "",
        '"2026-11-22T03:59:32.778656"',  # no zone: not what the JSON shows
        '"2026-11-22T03:59:32+00:00"',
        '"2026-11-22 03:59:32Z"',
        '"2026-11-22T03:59:32.1234567Z"',
    ],
)
def test_pattern_refuses_anything_else(header: str) -> None:
    assert not re.match(IF_MATCH_PATTERN, header)
    with pytest.raises(HTTPException) as refused:
        parse_if_match(header)
    assert refused.value.status_code == 400


def test_an_absent_header_means_any_version() -> None:
    assert parse_if_match(None) is None
