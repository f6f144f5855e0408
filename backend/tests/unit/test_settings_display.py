"""Database URLs are shown with every password masked, whatever their shape."""

import pytest

from todo_api.settings_display import database_url_passwords, mask_database_url


def test_an_unparseable_url_is_masked_too() -> None:
    assert mask_database_url("postgresql://app:hunter2@[bad/x") == "postgresql://app:***@[bad/x"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # libpq reads `password` (and `sslpassword`, the client key's) from the query string.
        (
            "postgresql://app@h/db?sslmode=require&password=hunter2",
            "postgresql://app@h/db?sslmode=require&password=***",
        ),
        (
            "postgresql://app:pw@h/db?sslpassword=key-pw&PASSWORD=a&password=b",
            "postgresql://app:***@h/db?sslpassword=***&PASSWORD=***&password=***",
        ),
        # Not a URL SQLAlchemy can read (the port is not a number): masked all the same.
        (
            "postgresql://app:hunter2@h:abc/db?password=hunter2&sslmode=require",
            "postgresql://app:***@h:abc/db?password=***&sslmode=require",
        ),
    ],
)
def test_passwords_in_the_query_string_are_masked(url: str, shown: str) -> None:
    assert mask_database_url(url) == shown


def test_every_password_of_a_url_is_found() -> None:
    url = "postgresql://app:user-pw@h/db?password=query-pw&sslpassword=key-pw&sslmode=require"
    assert sorted(database_url_passwords(url)) == ["key-pw", "query-pw", "user-pw"]
    assert database_url_passwords("postgresql://app@h/db") == []
    assert database_url_passwords("postgresql://app:pw@h:abc/db") == []
