"""The README's "Try it" blocks run as written, with bash, against a live `todo-api serve`,
and give every status (and header) their comments promise."""

import asyncio
import os
import re
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET, token_for
from tests.support.api_process import SERVE_EXECUTABLE, running_api, server_environment
from tests.support.databases import sqlite_url
from tests.support.markdown_blocks import README, block_after, section

pytestmark = pytest.mark.slow

USER = "alice"
PROMISED_HEADERS = ("Location", "ETag", "X-Total-Count")
_STATUS = re.compile(r"HTTP/1\.1 (\d{3})|^(\d{3})$", re.MULTILINE)
_PROMISE = re.compile(r"#\s*(\d{3})\b(.*)$")


def try_it_block(introduction: str) -> str:
    """The shell block right after the paragraph that starts with `introduction`."""
    return block_after(section(README, "## Try it"), introduction, "sh")


def promises(block: str) -> list[tuple[str, list[str]]]:
    """(status, headers named in the comment), for each command whose comment promises one."""
    found = []
    for line in block.splitlines():
        if promise := _PROMISE.search(line):
            status, rest = promise.groups()
            found.append((status, [name for name in PROMISED_HEADERS if name in rest]))
    return found


def responses(output: str) -> list[tuple[str, str]]:
    """(status, the text up to the next status), in the order the commands printed them."""
    matches = list(_STATUS.finditer(output))
    ends = [match.start() for match in matches[1:]] + [len(output)]
    return [
        (match.group(1) or match.group(2), output[match.start() : end])
        for match, end in zip(matches, ends, strict=True)
    ]


@pytest.mark.parametrize("introduction", ["curl (", "httpie ("])
async def test_the_try_it_block_runs_as_written(introduction: str, tmp_path: Path) -> None:
    block = try_it_block(introduction)
    expected = promises(block)
    assert len(expected) >= 6, expected

    environment = server_environment(sqlite_url(tmp_path), TEST_SECRET, LOG_LEVEL="INFO")
    async with running_api(environment, tmp_path) as api:
        shell_environment = {
            # The venv's `http` first; python3, curl, grep... from the system.
            "PATH": f"{SERVE_EXECUTABLE.parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "API": f"{api.base_url}/api/v1/{USER}/tasks",
            "TOKEN": token_for(USER),
            "HOME": str(tmp_path),  # httpie keeps its configuration there
        }
        shell = await asyncio.create_subprocess_exec(
            "bash",
            "-e",
            "-o",
            "pipefail",
            "-c",
            block,
            env=shell_environment,
            cwd=tmp_path,
            stdin=asyncio.subprocess.DEVNULL,  # not a terminal, as in a script or CI
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(shell.communicate(), 180)
        log = api.log()
    output = stdout.decode()
    assert shell.returncode == 0, output + stderr.decode()

    got = responses(output)
    assert [status for status, _ in got] == [status for status, _ in expected], output
    for (status, text), (_, headers) in zip(got, expected, strict=True):
        for header in headers:
            assert f"\n{header.lower()}:" in text.lower(), f"{status} without {header}:\n{text}"
    # The start-up hint names the command as this server was started.
    assert f"get a token for curl: {SERVE_EXECUTABLE} token <user_id>" in log
