"""A request head must arrive, and a body keep moving, within REQUEST_HEAD_TIMEOUT_SECONDS.

The server here has a 2 s deadline; each test asserts the cut comes at the deadline (not
before it, not much after it), against a real `todo-api serve` with raw sockets.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest

from tests.conftest import ALICE, TEST_SECRET, token_for
from tests.support.api_process import ApiProcess, running_api, server_environment
from tests.support.databases import sqlite_url
from tests.support.raw_http import Exchange, connect, exchange, get

DEADLINE = 2.0
MARGIN = 1.0


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ApiProcess]:
    workdir = tmp_path_factory.mktemp("edge-deadline")
    environment = server_environment(
        sqlite_url(workdir),
        TEST_SECRET,
        ENVIRONMENT="production",
        REQUEST_HEAD_TIMEOUT_SECONDS=str(DEADLINE),
    )
    async with running_api(environment, workdir) as api:
        yield api


def post_head(content_length: int) -> bytes:
    return (
        f"POST /api/v1/{ALICE}/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token_for(ALICE)}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {content_length}\r\nConnection: close\r\n\r\n"
    ).encode()


def assert_timed_out_at_the_deadline(result: Exchange) -> None:
    assert result.status == 408, result.answer[:300]
    assert json.loads(result.body)["code"] == "REQUEST_TIMEOUT"
    assert result.closed
    assert DEADLINE - 0.1 <= result.seconds <= DEADLINE + MARGIN, result.seconds


async def test_a_half_sent_head_is_cut_at_the_deadline(api: ApiProcess) -> None:
    half = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Wait"
    result = await asyncio.to_thread(exchange, api.port, half)
    print(f"\nhalf-sent head cut after {result.seconds:.2f} s (deadline {DEADLINE} s)")
    assert_timed_out_at_the_deadline(result)


async def test_a_head_dripping_a_byte_at_a_time_is_cut_at_the_deadline(api: ApiProcess) -> None:
    drip = [bytes([byte]) for byte in b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"]
    result = await asyncio.to_thread(exchange, api.port, *drip, pause_seconds=0.1)
    assert_timed_out_at_the_deadline(result)


async def test_a_silent_connection_is_closed_without_an_answer(api: ApiProcess) -> None:
    result = await asyncio.to_thread(exchange, api.port)
    assert (result.answer, result.closed) == (b"", True)
    assert result.seconds <= DEADLINE + MARGIN


async def test_a_stalled_body_is_cut_at_the_deadline(api: ApiProcess) -> None:
    result = await asyncio.to_thread(exchange, api.port, post_head(100) + b'{"title": ')
    assert_timed_out_at_the_deadline(result)


async def test_a_slow_body_that_keeps_moving_is_served(api: ApiProcess) -> None:
    body = json.dumps({"title": "Sent slowly"}).encode()
    pieces = [body[n : n + 3] for n in range(0, len(body), 3)]  # 9 pauses: ~3.6 s in all
    result = await asyncio.to_thread(
        exchange, api.port, post_head(len(body)), *pieces, pause_seconds=0.4, timeout=1.0
    )
    assert result.seconds > DEADLINE
    assert result.status == 201, result.answer[:300]


async def test_a_keep_alive_client_pausing_between_requests_is_served(api: ApiProcess) -> None:
    """Each request gets its own deadline: 6 requests over ~3 s on one connection."""
    authorization = f"Authorization: Bearer {token_for(ALICE)}"

    def requests_with_pauses() -> list[int]:
        statuses = []
        with connect(api.port, timeout=5.0) as sock:
            for _ in range(3):
                statuses.append(get(sock, "/health").status)
                statuses.append(get(sock, f"/api/v1/{ALICE}/tasks", authorization).status)
                time.sleep(DEADLINE / 2)
        return statuses

    assert await asyncio.to_thread(requests_with_pauses) == [200] * 6
