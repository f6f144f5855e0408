"""A missing server or tool skips a test locally and fails it where the run requires it."""

import pytest

from tests.support.requirements import missing

VARIABLE = "REQUIRE_SOMETHING_FOR_THIS_TEST"


@pytest.mark.parametrize("value", ["", "0", "false"])
def test_it_skips_with_the_reason_unless_required(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(VARIABLE, value)
    with pytest.raises(pytest.skip.Exception, match="the tool is missing"):
        missing("the tool is missing", required_by=VARIABLE)


def test_it_fails_where_the_run_requires_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE, "1")
    with pytest.raises(pytest.fail.Exception, match=f"{VARIABLE} is set but the tool is missing"):
        missing("the tool is missing", required_by=VARIABLE)
