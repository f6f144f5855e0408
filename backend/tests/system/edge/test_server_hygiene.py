"""What the server answers before the app: Host required, no Server header, valid HTTP only.

Against a real `todo-api serve` in production mode, with raw sockets.
"""

import asyncio
import json
import re

import pytest

from tests.conftest import ALICE, token_for
from tests.support.api_process import ApiProcess
from tests.support.raw_http import Exchange, connect, exchange, get, request

AUTHORIZATION = f"Authorization: Bearer {token_for(ALICE)}"


def assert_bad_request(result: Exchange, detail_mentions: str) -> None:
    assert result.status == 400, result.answer[:300]
    assert "content-type: application/problem+json" in result.head
    problem = json.loads(result.body)
    assert problem["code"] == "BAD_REQUEST"
    assert detail_mentions in problem["detail"]
    assert result.closed


@pytest.mark.parametrize(
    "hosts",
    [pytest.param("", id="no-host"), pytest.param("Host: a\r\nHost: b\r\n", id="two-hosts")],
)
async def test_http_1_1_needs_exactly_one_host(api: ApiProcess, hosts: str) -> None:
    request = f"GET /health HTTP/1.1\r\n{hosts}Connection: close\r\n\r\n".encode()
    assert_bad_request(await asyncio.to_thread(exchange, api.port, request), "Host")


async def test_http_1_0_may_omit_host(api: ApiProcess) -> None:
    result = await asyncio.to_thread(exchange, api.port, b"GET /health HTTP/1.0\r\n\r\n")
    assert result.status == 200


async def test_bytes_that_are_not_http_get_a_problem_body(api: ApiProcess) -> None:
    result = await asyncio.to_thread(exchange, api.port, b"NOT HTTP AT ALL\r\n\r\n")
    assert_bad_request(result, "HTTP")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200),
        (b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
        (b"GET /health HTTP/1.1\r\nConnection: close\r\n\r\n", 400),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n", 431),
    ],
    ids=["app", "not-found", "server-400", "server-431"],
)
async def test_no_answer_names_the_server_software(
    api: ApiProcess, request_bytes: bytes, status: int
) -> None:
    result = await asyncio.to_thread(exchange, api.port, request_bytes)
    assert result.status == status
    assert "\r\nserver:" not in "\r\n" + result.head
    assert "uvicorn" not in result.head
    assert "\r\ndate:" in result.head


async def test_a_keep_alive_client_makes_several_requests(api: ApiProcess) -> None:
    tasks = f"/api/v1/{ALICE}/tasks"
    body = json.dumps({"title": "On a kept-alive connection"}).encode()

    def several() -> list[int]:
        with connect(api.port, timeout=5.0) as sock:
            statuses = [get(sock, "/health").status for _ in range(3)]
            statuses.append(request(sock, "POST", tasks, AUTHORIZATION, body=body).status)
            statuses.append(get(sock, tasks, AUTHORIZATION).status)
            statuses.append(request(sock, "POST", tasks, body=body).status)  # no token
            statuses.append(get(sock, "/health").status)
            return statuses

    assert await asyncio.to_thread(several) == [200, 200, 200, 201, 200, 401, 200]


async def test_pipelined_requests_are_answered_in_order(api: ApiProcess) -> None:
    one = f"GET /api/v1/{ALICE}/tasks?limit=1 HTTP/1.1\r\nHost: x\r\n{AUTHORIZATION}\r\n\r\n"
    last = "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    result = await asyncio.to_thread(exchange, api.port, (one * 3 + last).encode())
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", result.answer)
    assert statuses == [b"200", b"200", b"200", b"404"]
