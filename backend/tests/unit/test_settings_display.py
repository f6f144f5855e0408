"""Database URLs are shown with every password masked, whatever their shape."""

from todo_api.settings_display import mask_database_url


def test_an_unparseable_url_is_masked_too() -> None:
    assert mask_database_url("postgresql://app:hunter2@[bad/x") == "postgresql://app:***@[bad/x"
