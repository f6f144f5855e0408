"""The app's side of the HTTP edge against a real `todo-api serve` (issue 15).

The caller is known before the body is read (401/403 before 400/415/422, and no
`100 Continue` for a stranger); one Authorization header; no redirect built from the Host
header; HEAD wherever GET; strict query values; titles must show something; the safety
headers on every answer; every error a bounded problem+json.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import ALICE, BOB, TEST_SECRET, token_for
from tests.support.api_process import ApiProcess, running_api, server_environment
from tests.support.databases import sqlite_url

TASKS = f"/api/v1/{ALICE}/tasks"
ORIGIN = "http://app.example"
PROBLEM = "application/problem+json"
SOCKET_TIMEOUT_SECONDS = 5.0
ALICE_AUTH = {"Authorization": f"Bearer {token_for(ALICE)}"}
BOB_AUTH = {"Authorization": f"Bearer {token_for(BOB)}"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ApiProcess]:
    workdir = tmp_path_factory.mktemp("edge-http")
    environment = server_environment(sqlite_url(workdir), TEST_SECRET, CORS_ORIGINS=ORIGIN)
    async with running_api(environment, workdir) as api:
        yield api


@pytest.fixture
async def client(api: ApiProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api.base_url, timeout=10.0, trust_env=False) as client:
        yield client


@dataclass(frozen=True)
class RawResponse:
    status_line: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def status(self) -> int:
        return int(self.status_line.split(" ")[1])

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)


async def read_response(reader: asyncio.StreamReader, *, head: bool = False) -> RawResponse:
    raw_head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), SOCKET_TIMEOUT_SECONDS)
    status_line, *lines = raw_head.decode("latin-1").rstrip("\r\n").split("\r\n")
    headers = [(name, value.strip()) for name, _, value in (line.partition(":") for line in lines)]
    response = RawResponse(status_line, headers, b"")
    length = 0 if head else int(response.header("content-length") or 0)
    body = await asyncio.wait_for(reader.readexactly(length), SOCKET_TIMEOUT_SECONDS)
    return RawResponse(status_line, headers, body)


async def raw_exchange(api: ApiProcess, request: bytes) -> RawResponse:
    reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
    try:
        writer.write(request)
        await writer.drain()
        return await read_response(reader)
    finally:
        writer.close()


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = response.json()
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["request_id"] == response.headers["x-request-id"]
    return problem


def create_expecting_continue(body_length: int, authorization: str) -> bytes:
    """The head of a task create that waits for `100 Continue` before sending its body."""
    return (
        f"POST {TASKS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{authorization}Content-Length: {body_length}\r\nExpect: 100-continue\r\n\r\n"
    ).encode()


class TestAuthenticationBeforeTheBody:
    @pytest.mark.parametrize(
        ("headers", "body"),
        [
            pytest.param(JSON, b"{not json", id="malformed JSON"),
            pytest.param({"Content-Type": "text/plain"}, b"hello", id="not JSON at all"),
            pytest.param(JSON, b'{"title": ""}', id="invalid task"),
            pytest.param(JSON, b"[" * 5000 + b"]" * 5000, id="deep JSON"),
        ],
    )
    @pytest.mark.parametrize(
        ("auth", "status", "code"),
        [
            pytest.param({}, 401, "AUTH_FAILED", id="no token"),
            pytest.param(
                {"Authorization": "Bearer not-a-token"}, 401, "AUTH_FAILED", id="bad token"
            ),
            pytest.param(BOB_AUTH, 403, "ACCESS_DENIED", id="another user's token"),
        ],
    )
    async def test_the_caller_is_refused_before_the_body_is_judged(
        self,
        client: httpx.AsyncClient,
        headers: dict[str, str],
        body: bytes,
        auth: dict[str, str],
        status: int,
        code: str,
    ) -> None:
        task = f"{TASKS}/{uuid.uuid4()}"
        for method, path in [("POST", TASKS), ("PUT", task)]:
            response = await client.request(method, path, headers=headers | auth, content=body)
            assert_problem(response, status, code)

    @pytest.mark.parametrize(
        ("method", "path", "header"),
        [
            pytest.param("POST", "", {"Idempotency-Key": "has space"}, id="Idempotency-Key"),
            pytest.param("PUT", "/{task}", {"If-Match": "garbage"}, id="If-Match on PUT"),
            pytest.param("PATCH", "/{task}/complete", {"If-Match": '"1",' * 40}, id="33+ tags"),
        ],
    )
    @pytest.mark.parametrize(
        "body", [b"{not json", b'{"title": ""}'], ids=["malformed JSON", "invalid task"]
    )
    async def test_a_malformed_header_is_400_before_the_body_is_judged(
        self, client: httpx.AsyncClient, method: str, path: str, header: dict[str, str], body: bytes
    ) -> None:
        url = TASKS + path.format(task=uuid.uuid4())
        response = await client.request(
            method, url, headers=ALICE_AUTH | JSON | header, content=body
        )
        problem = assert_problem(response, 400, "BAD_REQUEST")
        assert next(iter(header)) in problem["detail"]

    async def test_expect_100_continue_with_a_malformed_key_gets_400_and_no_100(
        self, api: ApiProcess
    ) -> None:
        too_long = "k" * 256
        headers = f"Authorization: Bearer {token_for(ALICE)}\r\nIdempotency-Key: {too_long}\r\n"
        response = await raw_exchange(api, create_expecting_continue(20, headers))  # no body sent
        assert response.status == 400, response
        assert "Idempotency-Key" in json.loads(response.body)["detail"]

    async def test_an_oversized_content_length_is_still_refused_at_once(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(TASKS, headers=JSON, content=b"x" * 70_000)
        assert_problem(response, 413, "PAYLOAD_TOO_LARGE")

    async def test_expect_100_continue_from_a_stranger_gets_401_and_no_100(
        self, api: ApiProcess
    ) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
        try:
            writer.write(create_expecting_continue(body_length=20, authorization=""))
            await writer.drain()
            response = await read_response(reader)  # the body was never sent
        finally:
            writer.close()
        assert response.status == 401, response
        assert response.header("content-type") == PROBLEM

    async def test_expect_100_continue_from_the_owner_gets_100_then_201(
        self, api: ApiProcess
    ) -> None:
        body = b'{"title": "sent after 100 Continue"}'
        reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
        try:
            authorization = f"Authorization: Bearer {token_for(ALICE)}\r\n"
            writer.write(create_expecting_continue(len(body), authorization))
            await writer.drain()
            interim = await read_response(reader, head=True)
            assert interim.status == 100, interim
            writer.write(body)
            await writer.drain()
            final = await read_response(reader)
        finally:
            writer.close()
        assert final.status == 201, final
        assert json.loads(final.body)["title"] == "sent after 100 Continue"


class TestLooseHttp:
    async def test_two_authorization_headers_are_400(self, api: ApiProcess) -> None:
        token = token_for(ALICE)
        response = await raw_exchange(
            api,
            f"GET {TASKS} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode(),
        )
        assert response.status == 400
        assert response.header("content-type") == PROBLEM
        assert json.loads(response.body)["code"] == "BAD_REQUEST"

    async def test_whitespace_after_the_token_is_ignored(self, api: ApiProcess) -> None:
        response = await raw_exchange(
            api,
            f"GET {TASKS} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token_for(ALICE)} \t \r\nConnection: close\r\n\r\n".encode(),
        )
        assert response.status == 200, response

    @pytest.mark.parametrize("path", [f"{TASKS}/", "/health/", "/docs/", f"/api/{ALICE}/tasks/"])
    async def test_a_trailing_slash_is_404_and_never_redirected_to_the_hosts_header(
        self, api: ApiProcess, path: str
    ) -> None:
        response = await raw_exchange(
            api,
            f"GET {path} HTTP/1.1\r\nHost: evil.example\r\n"
            f"Authorization: Bearer {token_for(ALICE)}\r\nConnection: close\r\n\r\n".encode(),
        )
        assert response.status == 404, response
        assert response.header("location") is None
        assert response.header("content-type") == PROBLEM

    @pytest.mark.parametrize(
        ("path", "headers"),
        [
            ("/health", {}),
            ("/health/ready", {}),
            ("/docs", {}),
            ("/openapi.json", {}),
            ("/docs/assets/swagger-ui.css", {}),
            (TASKS, ALICE_AUTH),
            (TASKS, {}),  # 401 too, as GET would answer
            ("/no/such/path", {}),
        ],
    )
    async def test_head_answers_as_get_without_the_body(
        self, client: httpx.AsyncClient, path: str, headers: dict[str, str]
    ) -> None:
        get = await client.get(path, headers=headers)
        head = await client.head(path, headers=headers)
        assert head.status_code == get.status_code
        assert head.content == b""
        varying = {"x-request-id", "date", "content-length"}
        same = {name: value for name, value in get.headers.items() if name not in varying}
        assert {name: value for name, value in head.headers.items() if name not in varying} == same

    async def test_head_sends_no_body_on_a_kept_alive_connection(self, api: ApiProcess) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
        try:
            writer.write(b"HEAD /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            await writer.drain()
            head = await read_response(reader, head=True)
            get = await read_response(reader)  # would be garbage if HEAD had sent a body
        finally:
            writer.close()
        assert (head.status, get.status) == (200, 200)
        assert json.loads(get.body) == {"status": "ok"}


class TestStrictQueryValues:
    @pytest.mark.parametrize(
        "query",
        [
            "completed=yes",
            "completed=1",
            "completed=True",
            "completed=",
            "limit=1_0",
            "limit=%2B5",
            "limit=1.0",
            "limit=%205",
            "limit=%EF%BC%95",  # a fullwidth digit five
            "limit=-1",
            "offset=0x10",
            "limit=5&limit=6",
            "completed=true&completed=true",
            "offset=1&limit=2&offset=1",
        ],
    )
    async def test_loose_or_repeated_values_are_400(
        self, client: httpx.AsyncClient, query: str
    ) -> None:
        response = await client.get(f"{TASKS}?{query}", headers=ALICE_AUTH)
        assert_problem(response, 400, "BAD_REQUEST")

    @pytest.mark.parametrize(
        "query", ["completed=true", "completed=false", "limit=05", "offset=0&limit=1000", ""]
    )
    async def test_the_spelled_out_values_are_accepted(
        self, client: httpx.AsyncClient, query: str
    ) -> None:
        response = await client.get(f"{TASKS}?{query}", headers=ALICE_AUTH)
        assert response.status_code == 200, response.text


INVISIBLE_TITLES = [
    "\u200b",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u3164",
    "\u2800",
    "\u115f",
    "\u1160",
    "\uffa0",
    "\u0301",  # a combining mark alone
    "\u20dd\u0301",
    "\u202e\u200e",  # bidi controls
    "\U000e0041\U000e007f",  # tag characters
    " \u200b\t\u3164 \u00a0",
    "\x01",
]


class TestTitlesMustShowSomething:
    @pytest.mark.parametrize("title", INVISIBLE_TITLES)
    async def test_a_title_with_nothing_visible_is_422(
        self, client: httpx.AsyncClient, title: str
    ) -> None:
        response = await client.post(TASKS, headers=ALICE_AUTH, json={"title": title})
        problem = assert_problem(response, 422, "VALIDATION_ERROR")
        assert problem["errors"][0]["loc"] == "body.title"

    @pytest.mark.parametrize("title", ["a\u200b", "\u200b😀", "e\u0301", "\u3164\u3131", "·"])
    async def test_one_visible_character_is_enough(
        self, client: httpx.AsyncClient, title: str
    ) -> None:
        response = await client.post(TASKS, headers=ALICE_AUTH, json={"title": title})
        assert response.status_code == 201, response.text


ERROR_PATHS = [
    pytest.param("GET", "/no/such/path", {}, b"", 404, id="unknown route"),
    pytest.param("DELETE", "/health", {}, b"", 405, id="method not allowed"),
    pytest.param("GET", TASKS, {}, b"", 401, id="no token"),
    pytest.param("GET", TASKS, BOB_AUTH, b"", 403, id="other user"),
    pytest.param("GET", f"{TASKS}/not-a-uuid", ALICE_AUTH, b"", 400, id="bad path value"),
    pytest.param("GET", f"{TASKS}?limit=x", ALICE_AUTH, b"", 400, id="bad query value"),
    pytest.param("POST", TASKS, ALICE_AUTH | JSON, b"{", 400, id="malformed JSON"),
    pytest.param("POST", TASKS, ALICE_AUTH | JSON, b"x" * 70_000, 413, id="too large"),
    pytest.param("POST", TASKS, ALICE_AUTH | {"Content-Type": "text/plain"}, b"{}", 415, id="415"),
    pytest.param("POST", TASKS, ALICE_AUTH | JSON, b"{}", 422, id="invalid task"),
    pytest.param("GET", f"{TASKS}/{uuid.uuid4()}", ALICE_AUTH, b"", 404, id="no such task"),
    pytest.param(
        "OPTIONS",
        TASKS,
        {"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
        b"",
        400,
        id="refused CORS preflight",
    ),
]


class TestEveryAnswer:
    @pytest.mark.parametrize(("method", "path", "headers", "body", "status"), ERROR_PATHS)
    async def test_every_error_is_problem_json_with_the_safety_headers(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
        status: int,
    ) -> None:
        response = await client.request(method, path, headers=headers, content=body)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["status"] == status
        assert response.headers["x-content-type-options"] == "nosniff"

    @pytest.mark.parametrize(
        "path",
        [
            "/health",
            "/health/ready",
            "/openapi.json",
            "/docs",
            "/docs/assets/swagger-ui-bundle.js",
            "/docs/assets/swagger-ui.css",
            "/docs/assets/favicon.png",
            TASKS,
        ],
    )
    async def test_every_success_has_nosniff(self, client: httpx.AsyncClient, path: str) -> None:
        response = await client.get(path, headers=ALICE_AUTH)
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"

    async def test_the_docs_page_may_not_be_framed(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/docs")
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        assert "script-src 'self' 'sha256-" in policy  # its one inline script, by hash
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]

    async def test_a_refused_preflight_says_why_and_an_allowed_one_passes(
        self, client: httpx.AsyncClient
    ) -> None:
        refused = await client.options(
            TASKS, headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"}
        )
        assert "origin" in assert_problem(refused, 400, "BAD_REQUEST")["detail"]
        allowed = await client.options(
            TASKS, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ORIGIN

    async def test_a_validation_error_lists_at_most_20_errors_and_counts_the_rest(
        self, client: httpx.AsyncClient
    ) -> None:
        unknown = {f"k{index}": 0 for index in range(3000)}  # ~30 KB, under the body limit
        response = await client.post(TASKS, headers=ALICE_AUTH, json={"title": "x"} | unknown)
        problem = assert_problem(response, 422, "VALIDATION_ERROR")
        assert len(problem["errors"]) == 20
        assert "3000 errors" in problem["detail"]
        assert len(response.content) < 4096

    async def test_a_long_unknown_key_is_cut_short_in_the_error(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            TASKS, headers=ALICE_AUTH, json={"title": "x", "k" * 50_000: 1}
        )
        problem = assert_problem(response, 422, "VALIDATION_ERROR")
        assert len(problem["errors"][0]["loc"]) <= 200
