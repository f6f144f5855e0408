"""Entity tags for tasks. A task's version is its `updated_at`, which every write sets anew."""

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# 17 digits of microseconds reach past the year 5000, so no valid tag overflows a datetime.
_TAG = r'(W/)?"[0-9]{1,17}"'
IF_MATCH_PATTERN = rf"^\s*(\*|{_TAG}(\s*,\s*{_TAG})*)\s*$"


def etag_for(updated_at: datetime) -> str:
    micros = (updated_at - _EPOCH) // timedelta(microseconds=1)
    return f'"{micros}"'


def parse_if_match(header: str) -> list[datetime] | None:
    """The versions an If-Match header (already matching IF_MATCH_PATTERN) accepts.

    None when any version will do. Weak tags never pass the strong comparison If-Match
    requires, so they are dropped; a header left with no tag then matches nothing, and the
    write is refused with 412.
    """
    if header.strip() == "*":
        return None
    return [
        _EPOCH + timedelta(microseconds=int(tag.strip().strip('"')))
        for tag in header.split(",")
        if not tag.strip().startswith("W/")
    ]
