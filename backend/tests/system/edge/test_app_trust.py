"""What `todo-api serve` trusts, tried from outside as an attacker would: credentials forged
with a retired or leftover secret, long-lived tokens, JWKS tokens of another type or for another
issuer, keys that have gone stale, and the public development secret on an open address."""

import asyncio
import secrets
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.support.api_process import ApiProcess, free_port, running_api, server_environment
from tests.support.better_auth_cookies import compact_cookie, jwe_cookie
from tests.support.databases import sqlite_url
from tests.support.jwks_server import LoopbackJwksServer
from tests.support.signing_keys import SigningKey, new_ed25519_key
from todo_api.auth.development_token import mint_development_token
from todo_api.auth.jwks_jwt import SESSION_CACHE_AUDIENCE, SESSION_CACHE_TYPE

USER = "trust_edge_user"
TASKS = f"/api/v1/{USER}/tasks"
CURRENT = "current-secret-" + "c" * 32
RETIRED = "retired-secret-" + "r" * 32
LEFTOVER = "leftover-secret-" + "l" * 32
COOKIE_MAX_AGE = 300  # the default of COOKIE_CACHE_MAX_AGE_SECONDS
LEEWAY = 30  # the default of JWT_LEEWAY_SECONDS
DAY = 86400  # the default of MAX_CREDENTIAL_LIFETIME_SECONDS
ISSUER = "https://app.example.com"
SERVE = str(Path(sys.executable).with_name("todo-api"))


def session_cache(now: float) -> dict[str, Any]:
    """The payload of Better Auth's session cookie cache, for USER."""
    expires = datetime.fromtimestamp(now + 7 * DAY, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "session": {"id": "s1", "token": "session-token", "userId": USER, "expiresAt": expires},
        "user": {"id": USER, "email": "ada@example.com", "name": "Ada"},
        "updatedAt": int(now * 1000),
        "version": "1",
    }


def forged(form: str, secret: str, *, lifetime: float = COOKIE_MAX_AGE) -> str:
    """A credential of `form` made with `secret`, expiring `lifetime` seconds from now."""
    now = time.time()
    if form == "HS256":
        return mint_development_token(secret, USER, ttl_seconds=int(lifetime))
    if form == "compact":
        return compact_cookie(session_cache(now), int((now + lifetime) * 1000), secret)
    times = {"iat": int(now), "exp": int(now + lifetime)}
    if form == "jwt cookie":
        return jwt.encode(session_cache(now) | times, secret, algorithm="HS256")
    return jwe_cookie(session_cache(now) | times | {"jti": secrets.token_hex(8)}, secret)


async def status_of(api: ApiProcess, credential: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=api.base_url, timeout=10, trust_env=False) as client:
        return await client.get(TASKS, headers={"Authorization": f"Bearer {credential}"})


@pytest.fixture(scope="module")
async def rotated_api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ApiProcess]:
    """Production after a rotation, with BETTER_AUTH_SECRET left over beside the list."""
    workdir = tmp_path_factory.mktemp("rotated")
    environment = server_environment(
        sqlite_url(workdir),
        LEFTOVER,
        ENVIRONMENT="production",
        BETTER_AUTH_SECRETS=f"2:{CURRENT},1:{RETIRED}",
        LOG_LEVEL="INFO",
    )
    async with running_api(environment, workdir) as api:
        yield api


CASES = [
    # form, lifetime, answer with the current secret, with a retired one, with the leftover one
    ("HS256", 600, 200, 401, 401),
    ("compact", COOKIE_MAX_AGE, 200, 401, 401),
    ("jwt cookie", COOKIE_MAX_AGE, 200, 401, 401),
    ("jwe", COOKIE_MAX_AGE, 200, 200, 200),
    ("jwe", COOKIE_MAX_AGE + LEEWAY + 60, 200, 401, 401),
]


@pytest.mark.parametrize(
    ("form", "lifetime", "current", "retired", "leftover"),
    [pytest.param(*case, id=f"{case[0]} for {case[1]} s") for case in CASES],
)
async def test_a_retired_or_leftover_secret_opens_only_a_jwe_cookie_within_its_lifetime(
    rotated_api: ApiProcess, form: str, lifetime: int, current: int, retired: int, leftover: int
) -> None:
    for secret, expected in ((CURRENT, current), (RETIRED, retired), (LEFTOVER, leftover)):
        response = await status_of(rotated_api, forged(form, secret, lifetime=lifetime))
        assert response.status_code == expected, (secret[:8], response.text)
        if expected == 401:
            assert response.json()["code"] == "AUTH_FAILED"


async def test_the_start_up_log_names_secret_versions_never_values(
    rotated_api: ApiProcess,
) -> None:
    log = rotated_api.log()
    assert "secret version 2 is current" in log, log
    assert "retired (jwe session cookies only): 1, BETTER_AUTH_SECRET" in log, log
    assert not any(secret in log for secret in (CURRENT, RETIRED, LEFTOVER))


@pytest.mark.parametrize(
    ("form", "lifetime", "expected"),
    [
        ("HS256", 100 * 365 * DAY, 401),
        ("HS256", DAY, 200),
        ("compact", 100 * 365 * DAY, 401),
        ("jwt cookie", DAY + 1, 401),
        ("jwe", 100 * 365 * DAY, 401),
    ],
)
async def test_credentials_living_longer_than_the_maximum_are_401(
    rotated_api: ApiProcess, form: str, lifetime: int, expected: int
) -> None:
    response = await status_of(rotated_api, forged(form, CURRENT, lifetime=lifetime))
    assert response.status_code == expected, response.text


async def exit_of(environment: dict[str, str], cwd: Path, *arguments: str) -> tuple[int, str]:
    """Run `todo-api serve` expecting it to stop by itself; its status and output."""
    process = await asyncio.create_subprocess_exec(
        SERVE,
        "serve",
        *arguments,
        env=environment,
        cwd=cwd,  # no `.env` from the repository is picked up
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, output.decode()


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return new_ed25519_key("trust-edge-key")


@pytest.fixture(scope="module")
def key_server(signing_key: SigningKey) -> Iterator[LoopbackJwksServer]:
    with LoopbackJwksServer({"keys": [signing_key.public_jwk()]}) as server:
        yield server


async def test_production_with_only_a_jwks_url_does_not_start(
    key_server: LoopbackJwksServer, tmp_path: Path
) -> None:
    environment = server_environment(
        sqlite_url(tmp_path), "", ENVIRONMENT="production", JWT_JWKS_URL=key_server.url
    )
    del environment["BETTER_AUTH_SECRET"]
    status, output = await exit_of(environment, tmp_path, "--port", str(free_port()))
    assert status == 2, output
    assert "JWT_ISSUER and JWT_AUDIENCE" in output, output
    assert "BETTER_AUTH_URL" in output, output


@pytest.fixture(scope="module")
async def jwks_api(
    key_server: LoopbackJwksServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ApiProcess]:
    """Production verifying JWKS tokens only, with the issuer and audience it must have."""
    workdir = tmp_path_factory.mktemp("jwks")
    environment = server_environment(
        sqlite_url(workdir),
        "",
        ENVIRONMENT="production",
        JWT_JWKS_URL=key_server.url,
        JWT_ISSUER=ISSUER,
        JWT_AUDIENCE=ISSUER,
    )
    del environment["BETTER_AUTH_SECRET"]
    async with running_api(environment, workdir) as api:
        yield api


def jwks_token(key: SigningKey, typ: str | None, **claims: Any) -> str:
    now = int(time.time())
    payload = {"sub": USER, "iss": ISSUER, "aud": ISSUER, "iat": now, "exp": now + 900} | claims
    headers: dict[str, Any] = {"kid": key.kid, "typ": typ}
    return jwt.encode(payload, key.private_key, algorithm=key.algorithm, headers=headers)


def session_cache_token(key: SigningKey) -> str:
    """What `jwt({ sessionCookieCache: true })` writes: Better Auth's fixed audience."""
    now = time.time()
    return jwks_token(
        key,
        SESSION_CACHE_TYPE,
        aud=SESSION_CACHE_AUDIENCE,
        sid="session-token",
        **session_cache(now),
    )


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("no typ", 200),
        ("JWT", 200),
        ("session cache", 200),
        ("at+jwt", 401),
        ("logout+jwt", 401),
        ("another issuer and audience", 401),
    ],
)
async def test_jwks_tokens_of_a_session_type_only(
    jwks_api: ApiProcess, signing_key: SigningKey, kind: str, expected: int
) -> None:
    tokens = {
        "no typ": lambda: jwks_token(signing_key, None),
        "JWT": lambda: jwks_token(signing_key, "JWT"),
        "session cache": lambda: session_cache_token(signing_key),
        "at+jwt": lambda: jwks_token(signing_key, "at+jwt"),
        "logout+jwt": lambda: jwks_token(signing_key, "logout+jwt"),
        "another issuer and audience": lambda: jwks_token(
            signing_key, "JWT", iss="https://idp.example.org", aud="another-client"
        ),
    }
    response = await status_of(jwks_api, tokens[kind]())
    assert response.status_code == expected, response.text


async def test_keys_stale_past_the_limit_are_refused_while_the_key_server_fails(
    signing_key: SigningKey, tmp_path: Path
) -> None:
    ttl, max_stale = 10, 4
    with LoopbackJwksServer({"keys": [signing_key.public_jwk()]}) as key_server:
        environment = server_environment(
            sqlite_url(tmp_path),
            "x" * 40,
            JWT_JWKS_URL=key_server.url,
            JWKS_CACHE_TTL_SECONDS=str(ttl),
            JWKS_MAX_STALE_SECONDS=str(max_stale),
            JWKS_MIN_REFETCH_INTERVAL_SECONDS="1",
        )
        async with running_api(environment, workdir=tmp_path) as api:
            token = jwks_token(signing_key, None)
            assert (await status_of(api, token)).status_code == 200  # the keys are fetched
            fetched = time.monotonic()
            key_server.respond_with(500, b"")
            await asyncio.sleep(ttl + 1 - (time.monotonic() - fetched))
            served = await status_of(api, token)
            assert served.status_code == 200, served.text  # stale, within the limit
            await asyncio.sleep(ttl + max_stale + 1 - (time.monotonic() - fetched))
            for _ in range(5):
                refused = await status_of(api, token)
                assert refused.status_code == 503, refused.text
                assert refused.json()["code"] == "BACKEND_UNAVAILABLE"
                assert int(refused.headers["retry-after"]) >= 1
            await asyncio.sleep(0.2)  # the last lines reach the log file
            assert api.log().count("JWKS keys dropped") == 1, api.log()

            key_server.serve({"keys": [signing_key.public_jwk()]})
            await asyncio.sleep(1.1)  # the refetch interval
            recovered = await status_of(api, token)
            assert recovered.status_code == 200, recovered.text


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])  # noqa: S104
async def test_the_development_secret_is_refused_on_an_open_address(
    host: str, tmp_path: Path
) -> None:
    environment = server_environment(sqlite_url(tmp_path), "")
    del environment["BETTER_AUTH_SECRET"]
    arguments = ("--host", host, "--port", str(free_port()))
    status, output = await exit_of(environment, tmp_path, *arguments)
    assert status == 2, output
    assert output.count("\n") == 1, output
    assert "BETTER_AUTH_SECRET" in output, output
