"""The reference client's session-cookie reader (examples/nextjs/lib/session-cookie.ts) reads
the cookie cache as Better Auth does, run by `npm test`: a planted chunk beside the real cookie
and stale chunks beside a fresh one are ignored, `__Secure-` and plain names are never mixed."""

import re

import pytest

from tests.support.nextjs import app_environment, require_node, run_unit_tests

pytestmark = pytest.mark.reference_client


async def test_the_cookie_reader_passes_its_node_tests() -> None:
    require_node()
    output = await run_unit_tests(app_environment())
    passed = set(re.findall(r"^ok \d+ - (.+)$", output, re.MULTILINE))
    for case in ("a planted chunk", "stale chunks", "__Secure-", "index order"):
        assert any(case in name for name in passed), (case, output)
    assert re.search(r"^# fail 0$", output, re.MULTILINE), output
