"""The warning of an app started without `todo-api serve`: in production only, and naming
settings that exist."""

import logging
import re

import pytest

from tests.conftest import TEST_SECRET, make_settings
from todo_api.config import Settings
from todo_api.server.without_serve import STARTED_WITHOUT_SERVE, warn_started_without_serve


@pytest.mark.parametrize(("environment", "lines"), [("production", 1), ("development", 0)])
def test_it_warns_in_production_only(
    caplog: pytest.LogCaptureFixture, environment: str, lines: int
) -> None:
    settings = make_settings("sqlite://", environment=environment, better_auth_secret=TEST_SECRET)
    with caplog.at_level(logging.WARNING):
        warn_started_without_serve(settings)
    assert [record.getMessage() for record in caplog.records] == [STARTED_WITHOUT_SERVE] * lines


def test_the_settings_it_names_exist() -> None:
    named = re.findall(r"\b[A-Z][A-Z_]{2,}\b", STARTED_WITHOUT_SERVE)
    assert named
    assert {name.lower() for name in named} <= set(Settings.model_fields)
