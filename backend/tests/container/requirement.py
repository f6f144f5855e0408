"""Container tests are skipped (with the reason) where buildah cannot run, and fail instead
when REQUIRE_CONTAINER is set (CI sets it), so that they can never pass by being skipped."""

import os
from typing import NoReturn

import pytest


def container_required() -> bool:
    return os.environ.get("REQUIRE_CONTAINER", "") not in {"", "0", "false"}


def skip_or_fail(reason: str) -> NoReturn:
    if container_required():
        pytest.fail(f"REQUIRE_CONTAINER is set but {reason}")
    pytest.skip(f"{reason} (REQUIRE_CONTAINER=1 fails instead)")
