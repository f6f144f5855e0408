"""What a test needs from this machine (a server, a tool) and is missing here.

Locally such a test is skipped, with the reason in the summary. Where the run requires it
(CI sets every REQUIRE_* variable), it fails instead, so no check can pass by being skipped.
"""

import os
from typing import NoReturn

import pytest


def is_required(variable: str) -> bool:
    return os.environ.get(variable, "") not in {"", "0", "false"}


def missing(reason: str, *, required_by: str) -> NoReturn:
    if is_required(required_by):
        pytest.fail(f"{required_by} is set but {reason}")
    pytest.skip(f"{reason} ({required_by}=1 fails instead)")
