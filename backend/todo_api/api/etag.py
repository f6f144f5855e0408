"""Entity tags for tasks. A task's version is its `updated_at`, which every write sets anew."""

from datetime import UTC, datetime, timedelta

from fastapi import HTTPException

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_TAG_DIGITS = 20


def etag_for(updated_at: datetime) -> str:
    micros = (updated_at - _EPOCH) // timedelta(microseconds=1)
    return f'"{micros}"'


def parse_if_match(header: str | None) -> list[datetime] | None:
    """The versions an If-Match header accepts; None when any version will do.

    Weak tags never pass the strong comparison If-Match requires, so they are dropped; a
    header left with no tag then matches nothing, and the write is refused with 412.
    """
    if header is None or header.strip() == "*":
        return None
    versions: list[datetime] = []
    for raw_tag in header.split(","):
        tag = raw_tag.strip()
        if tag.startswith("W/"):
            continue
        digits = tag[1:-1] if len(tag) >= 2 and tag[0] == tag[-1] == '"' else ""
        if not digits.isdigit() or len(digits) > _MAX_TAG_DIGITS:
            raise HTTPException(400, 'If-Match must be "*" or a list of ETags such as "1732..."')
        try:
            versions.append(_EPOCH + timedelta(microseconds=int(digits)))
        except OverflowError:
            raise HTTPException(400, "If-Match names a version that cannot exist.") from None
    return versions
