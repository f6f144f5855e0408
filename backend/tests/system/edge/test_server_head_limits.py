"""The server bounds each request head (`MAX_REQUEST_HEAD_BYTES`, 100 fields): 431, then close.

Against a real `todo-api serve` in production mode, with raw sockets: the refusal comes
without the server reading the rest of the head, and does not slow other clients.
"""

import asyncio
import json
import statistics
import time

from tests.conftest import ALICE
from tests.support.api_process import ApiProcess
from tests.support.raw_http import Exchange, connect, exchange, get, send_head_of

MAX_HEAD = 32 * 1024  # the default
MiB = 1024 * 1024
HEALTH = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"


def head_of_exactly(size: int) -> bytes:
    """A GET /health head of exactly `size` bytes, padded with one header."""
    padding = size - len(HEALTH) - len(b"X-Pad: \r\n\r\n")
    return HEALTH + b"X-Pad: " + b"p" * padding + b"\r\n\r\n"


def assert_refused_as_too_large(result: Exchange) -> None:
    assert result.status == 431, result.answer[:300]
    assert "content-type: application/problem+json" in result.head
    assert "connection: close" in result.head
    assert json.loads(result.body)["code"] == "HEADERS_TOO_LARGE"
    assert result.closed


async def test_one_huge_header_is_refused_and_the_connection_closed(api: ApiProcess) -> None:
    result = await asyncio.to_thread(
        exchange, api.port, HEALTH + b"Authorization: Bearer " + b"a" * MiB + b"\r\n\r\n"
    )
    assert_refused_as_too_large(result)


async def test_a_huge_request_line_is_refused(api: ApiProcess) -> None:
    line = b"GET /health?q=" + b"a" * MiB + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    assert_refused_as_too_large(await asyncio.to_thread(exchange, api.port, line))


async def test_many_headers_count_by_size_and_by_number(api: ApiProcess) -> None:
    # 400 fields of 100 bytes: over the size; 101 tiny fields: under it, over the count.
    big_fields = b"".join(b"X-F%03d: %s\r\n" % (n, b"v" * 90) for n in range(400))
    many_fields = b"".join(b"X-F%03d: v\r\n" % n for n in range(101))
    for fields in (big_fields, many_fields):
        result = await asyncio.to_thread(exchange, api.port, HEALTH + fields + b"\r\n")
        assert_refused_as_too_large(result)
    hundred_fields = b"".join(b"X-F%03d: v\r\n" % n for n in range(97))  # +Host, Connection
    assert (
        await asyncio.to_thread(exchange, api.port, HEALTH + hundred_fields + b"\r\n")
    ).status == 200


async def test_refused_heads_are_logged_at_most_once_a_minute_per_kind(api: ApiProcess) -> None:
    """A client refused in a loop must not write the log at its pace (logging_setup.py)."""
    too_big = HEALTH + b"X-Pad: " + b"p" * MAX_HEAD + b"\r\n\r\n"
    too_many = HEALTH + b"".join(b"X-F%03d: v\r\n" % n for n in range(101)) + b"\r\n"
    logged_before = len(api.log().splitlines())
    for head in [too_big, too_many] * 20:
        assert_refused_as_too_large(await asyncio.to_thread(exchange, api.port, head))
    await asyncio.sleep(0.2)  # the last lines reach the log file
    new_lines = api.log().splitlines()[logged_before:]
    # Over the size, over the field count, and uvicorn's "invalid request" for the latter.
    assert len(new_lines) <= 3, new_lines


async def test_the_limit_is_exact_whatever_the_packets(api: ApiProcess) -> None:
    for size, status in ((MAX_HEAD, 200), (MAX_HEAD + 1, 431)):
        head = head_of_exactly(size)
        assert len(head) == size
        whole = await asyncio.to_thread(exchange, api.port, head)
        # Split so that the limit falls inside the second packet, and the end in the third.
        split = await asyncio.to_thread(
            exchange, api.port, head[:1000], head[1000:-2], head[-2:], pause_seconds=0.05
        )
        assert (whole.status, split.status) == (status, status), size


async def test_the_biggest_better_auth_credential_passes_the_server(api: ApiProcess) -> None:
    token = "a" * (24 * 1024)
    request = (
        f"GET /api/v1/{ALICE}/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    result = await asyncio.to_thread(exchange, api.port, request.encode())
    assert result.status == 401  # the app's answer to a token that is not one: not 431
    assert json.loads(result.body)["code"] == "AUTH_FAILED"


async def test_the_server_stops_reading_a_refused_head(api: ApiProcess) -> None:
    """48 MiB offered: the server takes the limit plus at most what loopback buffers hold."""
    sent = await asyncio.wait_for(asyncio.to_thread(send_head_of, api.port, 48 * MiB), 20)
    assert sent < 16 * MiB, sent


async def test_flooding_heads_do_not_slow_other_clients(api: ApiProcess) -> None:
    """Two clients push 48 MiB heads over and over while a third times GET /health."""
    stop_at = time.monotonic() + 3.0
    floods: list[int] = []

    def flood() -> None:
        while time.monotonic() < stop_at:
            floods.append(send_head_of(api.port, 48 * MiB))

    def health_latencies() -> list[float]:
        latencies = []
        time.sleep(0.2)  # the floods are under way
        with connect(api.port, timeout=5.0) as sock:
            while time.monotonic() < stop_at - 0.2:
                started = time.monotonic()
                assert get(sock, "/health").status == 200
                latencies.append(time.monotonic() - started)
                time.sleep(0.01)
        return latencies

    _, _, latencies = await asyncio.wait_for(
        asyncio.gather(
            asyncio.to_thread(flood), asyncio.to_thread(flood), asyncio.to_thread(health_latencies)
        ),
        30,
    )
    print(
        f"\n/health under two 48 MiB head floods ({len(floods)} heads refused, "
        f"{sum(floods) / MiB:.0f} MiB offered in all): {len(latencies)} requests, median "
        f"{statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
    )
    assert len(floods) >= 2
    assert all(sent < 16 * MiB for sent in floods)
    assert max(latencies) < 0.5
