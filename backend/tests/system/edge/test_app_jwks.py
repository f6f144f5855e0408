"""A hostile or broken JWKS endpoint against a real `todo-api serve` (issue 15).

Better Auth's JWKS endpoint is played by a loopback server that drips, hangs, streams without
end, or sends deep, huge or oddly shaped JSON. Whatever it does, a request that needs a fetch
gets 503 with Retry-After within the fetch deadline (3 s by default), never 500; requests with
a cached key keep being served at once; callers share one fetch; random kids cannot make the
service fetch more than once per refetch interval.
"""

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api_process import ApiProcess, running_api, server_environment
from tests.support.databases import sqlite_url
from tests.support.jwks_server import LoopbackJwksServer
from tests.support.signing_keys import SigningKey, new_ed25519_key

USER = "jwks_edge_user"
TASKS = f"/api/v1/{USER}/tasks"
FETCH_DEADLINE_SECONDS = 3.0  # the default of JWKS_FETCH_TIMEOUT_SECONDS
# Scheduling slack on a busy two-core machine; the deadline itself is the bound under test.
SLACK_SECONDS = 1.5
CONCURRENT = 5


def key_set(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.public_jwk() for key in keys]}


def token(key: SigningKey, *, kid: str | None = None) -> str:
    now = int(time.time())
    return key.sign({"sub": USER, "iat": now, "exp": now + 600}, kid=kid)


@pytest.fixture(scope="module")
def current_key() -> SigningKey:
    return new_ed25519_key("current")


@pytest.fixture
def jwks_server(current_key: SigningKey) -> Iterator[LoopbackJwksServer]:
    with LoopbackJwksServer(key_set(current_key)) as server:
        yield server


@pytest.fixture(scope="module")
def shared_jwks_server(current_key: SigningKey) -> Iterator[LoopbackJwksServer]:
    with LoopbackJwksServer(key_set(current_key)) as server:
        yield server


@pytest.fixture(scope="module")
async def eager_api(
    shared_jwks_server: LoopbackJwksServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ApiProcess]:
    """No refetch interval: every request with an unknown kid may fetch, the worst case."""
    workdir = tmp_path_factory.mktemp("eager")
    async with api_with(shared_jwks_server, workdir, min_refetch_interval_seconds=0) as api:
        yield api


def api_with(
    jwks_server: LoopbackJwksServer, workdir: Path, min_refetch_interval_seconds: float
) -> Any:
    environment = server_environment(
        sqlite_url(workdir),
        "x" * 40,
        JWT_JWKS_URL=jwks_server.url,
        JWKS_MIN_REFETCH_INTERVAL_SECONDS=str(min_refetch_interval_seconds),
    )
    return running_api(environment, workdir)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=15.0, trust_env=False) as client:
        yield client


async def timed_get(
    client: httpx.AsyncClient, api: ApiProcess, bearer: str
) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await client.get(api.base_url + TASKS, headers={"Authorization": f"Bearer {bearer}"})
    return response, time.monotonic() - started


DEEP_JSON = b'{"keys": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
HUGE_JSON = b'{"keys": [], "pad": "' + b"x" * 5_000_000 + b'"}'
Misbehaviour = Callable[[LoopbackJwksServer], None]
# Each with whether its fetch lasts until the deadline, so that every concurrent caller
# arrives while it is in flight (a fast failure lets a later caller start the next fetch).
MISBEHAVIOURS: list[Any] = [
    pytest.param(lambda server: server.drip(2.0), True, id="drips a byte every 2 s"),
    pytest.param(lambda server: server.hang(), True, id="hangs"),
    pytest.param(lambda server: server.stream_endlessly(), False, id="endless body"),
    pytest.param(lambda server: server.respond_with(200, DEEP_JSON), False, id="deep JSON"),
    pytest.param(lambda server: server.respond_with(200, HUGE_JSON), False, id="5 MB body"),
    pytest.param(
        lambda server: server.respond_with(200, b'{"keys": {"kid": 1}}'),
        False,
        id="keys not a list",
    ),
    pytest.param(
        lambda server: server.respond_with(200, b'{"keys": [{"kid": "k", "kty": ["EC"]}]}'),
        False,
        id="odd key members",
    ),
    pytest.param(lambda server: server.respond_with(200, b"[1, 2]"), False, id="not an object"),
    pytest.param(lambda server: server.respond_with(500, b""), False, id="HTTP 500"),
]


@pytest.mark.parametrize(("misbehave", "lasts_until_the_deadline"), MISBEHAVIOURS)
async def test_a_failing_fetch_is_503_within_the_deadline_and_cached_keys_keep_working(
    misbehave: Misbehaviour,
    lasts_until_the_deadline: bool,
    shared_jwks_server: LoopbackJwksServer,
    eager_api: ApiProcess,
    current_key: SigningKey,
    client: httpx.AsyncClient,
) -> None:
    jwks_server, api = shared_jwks_server, eager_api
    jwks_server.serve(key_set(current_key))
    first, _ = await timed_get(client, api, token(current_key))
    assert first.status_code == 200, first.text
    hits_before = jwks_server.hits

    misbehave(jwks_server)
    new_key = new_ed25519_key(secrets.token_urlsafe(8))  # made after the last fetch
    needs_fetch = [timed_get(client, api, token(new_key)) for _ in range(CONCURRENT)]
    cached = [timed_get(client, api, token(current_key)) for _ in range(CONCURRENT)]
    results = await asyncio.gather(*needs_fetch, *cached)

    for response, seconds in results[:CONCURRENT]:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "BACKEND_UNAVAILABLE"
        assert int(response.headers["retry-after"]) >= 1
        assert seconds < FETCH_DEADLINE_SECONDS + SLACK_SECONDS, seconds
    for response, seconds in results[CONCURRENT:]:
        assert response.status_code == 200, response.text
        assert seconds < SLACK_SECONDS, seconds  # not queued behind the failing fetch
    fetches = jwks_server.hits - hits_before
    if lasts_until_the_deadline:
        assert fetches == 1  # single flight: every caller waited for the same fetch
    else:
        assert 1 <= fetches <= CONCURRENT


async def test_random_kids_fetch_at_most_once_per_refetch_interval(
    jwks_server: LoopbackJwksServer,
    current_key: SigningKey,
    client: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    interval_seconds = 10.0  # the default of JWKS_MIN_REFETCH_INTERVAL_SECONDS
    async with api_with(jwks_server, tmp_path, interval_seconds) as api:
        started = time.monotonic()
        statuses: list[int] = []
        for _ in range(30):  # 30 rounds of 10 concurrent requests, each with a fresh kid
            batch = [
                timed_get(client, api, token(current_key, kid=secrets.token_urlsafe(12)))
                for _ in range(10)
            ]
            statuses += [response.status_code for response, _ in await asyncio.gather(*batch)]
        elapsed = time.monotonic() - started

    assert len(statuses) == 300
    # 401 once a key set fetched after the token arrived lacks its kid; 503 (retry) while the
    # kid could still be a key Better Auth made after the last fetch.
    assert set(statuses) <= {401, 503}, set(statuses)
    assert jwks_server.hits <= 1 + int(elapsed // interval_seconds), (jwks_server.hits, elapsed)


async def test_an_unreachable_jwks_endpoint_logs_each_fetch_not_each_request(
    jwks_server: LoopbackJwksServer,
    current_key: SigningKey,
    client: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    jwks_server.respond_with(500, b"")
    async with api_with(jwks_server, tmp_path, min_refetch_interval_seconds=10) as api:
        logged_before = len(api.log().splitlines())
        for _ in range(5):  # 5 rounds of 10 concurrent requests, each with a fresh kid
            batch = [
                timed_get(client, api, token(current_key, kid=secrets.token_urlsafe(12)))
                for _ in range(10)
            ]
            for response, _ in await asyncio.gather(*batch):
                assert response.status_code == 503, response.text
        await asyncio.sleep(0.2)  # the last lines reach the log file
        new_lines = api.log().splitlines()[logged_before:]

    warnings = [line for line in new_lines if "WARNING" in line]
    # The JWKS client's one line per failed fetch; nothing per refused request.
    assert 1 <= len(warnings) <= jwks_server.hits, new_lines


async def test_a_new_key_is_503_retry_after_until_the_refetch_then_accepted(
    jwks_server: LoopbackJwksServer,
    current_key: SigningKey,
    client: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    new_key = new_ed25519_key("rotated-in")
    async with api_with(jwks_server, tmp_path, min_refetch_interval_seconds=1) as api:
        assert (await timed_get(client, api, token(current_key)))[0].status_code == 200
        jwks_server.serve(key_set(current_key, new_key))  # Better Auth rotates
        too_soon, _ = await timed_get(client, api, token(new_key))
        # Not 401, which would sign the user out: the key may be newer than our key set.
        assert too_soon.status_code == 503, too_soon.text
        assert too_soon.headers["retry-after"] == "1"
        await asyncio.sleep(float(too_soon.headers["retry-after"]) + 0.1)
        accepted, _ = await timed_get(client, api, token(new_key))
        assert accepted.status_code == 200, accepted.text
        assert (await timed_get(client, api, token(current_key)))[0].status_code == 200
