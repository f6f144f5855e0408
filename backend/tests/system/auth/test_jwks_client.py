"""JwksClient against a real HTTP server on loopback: caching, rotation, rate limits, outages."""

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from jwt.algorithms import get_default_algorithms

from tests.support.auth_limits import jwks_limits, verifier_limits
from tests.support.jwks_server import LoopbackJwksServer
from tests.support.manual_clock import ManualClock
from tests.support.signing_keys import SigningKey, new_ed25519_key
from todo_api.auth.jwks import JwksClient
from todo_api.auth.principal import Principal
from todo_api.auth.token_verifier import TokenVerifier
from todo_api.errors import AuthenticationFailed, BackendUnavailable

TTL = 300
MIN_INTERVAL = 10
LIMITS = jwks_limits() | {"cache_ttl_seconds": TTL, "min_refetch_interval_seconds": MIN_INTERVAL}
NOW = 1_800_000_000


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
def jwks(
    jwks_server: LoopbackJwksServer, http_client: httpx.AsyncClient, clock: ManualClock
) -> JwksClient:
    return JwksClient(jwks_server.url, http_client, clock=clock, **LIMITS)


def key_set(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.public_jwk() for key in keys]}


def verifier_for(jwks: JwksClient) -> TokenVerifier:
    return TokenVerifier(
        shared_secret=None,
        jwks=jwks,
        issuer=None,
        audience=None,
        clock=lambda: NOW,
        **verifier_limits(),
    )


def token_from(key: SigningKey) -> str:
    return key.sign({"sub": "user_1", "iat": NOW, "exp": NOW + 60})


async def test_fetches_once_then_serves_from_cache(
    jwks: JwksClient, jwks_server: LoopbackJwksServer, ed25519_key: SigningKey
) -> None:
    jwks_server.serve(key_set(ed25519_key))
    keys = [await jwks.get_key(ed25519_key.kid) for _ in range(5)]
    assert keys[0].public_key == ed25519_key.private_key.public_key()
    assert all(key is keys[0] for key in keys)  # parsed once, not per call
    assert jwks_server.hits == 1


async def test_the_key_set_is_asked_for_uncompressed(
    jwks: JwksClient, jwks_server: LoopbackJwksServer, ed25519_key: SigningKey
) -> None:
    # A compressed answer is inflated a whole chunk at a time, before the size cap counts it.
    jwks_server.serve(key_set(ed25519_key))
    await jwks.get_key(ed25519_key.kid)
    assert jwks_server.accept_encodings == ["identity"]


async def test_key_rotation_is_picked_up_by_a_refetch(
    jwks: JwksClient, jwks_server: LoopbackJwksServer, clock: ManualClock, ed25519_key: SigningKey
) -> None:
    verifier = verifier_for(jwks)
    rotated_key = new_ed25519_key("rotated-key")
    jwks_server.serve(key_set(ed25519_key))
    assert await verifier.verify(token_from(ed25519_key)) == Principal("user_1")

    jwks_server.serve(key_set(rotated_key))
    clock.advance(1)
    # Too soon after the last fetch to ask again, but the key may be new: retry, not sign out.
    with pytest.raises(BackendUnavailable) as refused:
        await verifier.verify(token_from(rotated_key))
    assert refused.value.retry_after_seconds == MIN_INTERVAL - 1
    assert jwks_server.hits == 1

    clock.advance(MIN_INTERVAL - 1)
    assert await verifier.verify(token_from(rotated_key)) == Principal("user_1")
    assert jwks_server.hits == 2
    with pytest.raises(AuthenticationFailed):  # the old key is gone from the new set
        await verifier.verify(token_from(ed25519_key))


async def test_unknown_kid_flood_is_rate_limited(
    jwks: JwksClient, jwks_server: LoopbackJwksServer, clock: ManualClock, ed25519_key: SigningKey
) -> None:
    jwks_server.serve(key_set(ed25519_key))
    await jwks.get_key(ed25519_key.kid)
    clock.advance(MIN_INTERVAL)

    # One fetch for all of them, made after they arrived: their kids are not Better Auth's.
    flood = [jwks.get_key(secrets.token_urlsafe(16)) for _ in range(50)]
    outcomes = await asyncio.gather(*flood, return_exceptions=True)
    assert all(isinstance(outcome, AuthenticationFailed) for outcome in outcomes)
    for _ in range(50):
        clock.advance(0.1)
        # No fetch allowed yet: the kid might be newer than the key set, so "retry later".
        with pytest.raises(BackendUnavailable) as refused:
            await jwks.get_key(secrets.token_urlsafe(16))
        assert 1 <= refused.value.retry_after_seconds <= MIN_INTERVAL
    assert jwks_server.hits == 2

    clock.advance(MIN_INTERVAL)
    with pytest.raises(AuthenticationFailed):
        await jwks.get_key("still-unknown")
    assert jwks_server.hits == 3


async def test_cache_is_refreshed_after_its_ttl(
    jwks: JwksClient, jwks_server: LoopbackJwksServer, clock: ManualClock, ed25519_key: SigningKey
) -> None:
    rotated_key = new_ed25519_key("rotated-key")
    jwks_server.serve(key_set(ed25519_key))
    await jwks.get_key(ed25519_key.kid)
    jwks_server.serve(key_set(rotated_key))

    clock.advance(TTL - 1)
    await jwks.get_key(ed25519_key.kid)
    assert jwks_server.hits == 1

    clock.advance(1)
    # Stale: still answered at once from the cache, while the set is fetched behind it.
    assert (await jwks.get_key(ed25519_key.kid)).kid == ed25519_key.kid
    assert (await jwks.get_key(rotated_key.kid)).kid == rotated_key.kid  # joins that fetch
    assert jwks_server.hits == 2
    with pytest.raises(AuthenticationFailed):  # gone from the set fetched after it was asked
        await jwks.get_key(ed25519_key.kid)


OUTAGES: list[Any] = [
    pytest.param(lambda server: server.stop(), id="port closed"),
    pytest.param(lambda server: server.respond_with(503, b"busy"), id="HTTP 503"),
    pytest.param(lambda server: server.respond_with(200, b"<html></html>"), id="not JSON"),
    pytest.param(lambda server: server.respond_with(200, b'{"keys": "none"}'), id="no key list"),
    pytest.param(
        lambda server: server.serve({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "k"}]}),
        id="no usable key",
    ),
]
Outage = Callable[[LoopbackJwksServer], None]


@pytest.mark.parametrize("outage", OUTAGES)
async def test_outage_without_a_cached_key_is_backend_unavailable(
    outage: Outage, jwks: JwksClient, jwks_server: LoopbackJwksServer, ed25519_key: SigningKey
) -> None:
    outage(jwks_server)
    with pytest.raises(BackendUnavailable):
        await jwks.get_key(ed25519_key.kid)
    hits_after_first_failure = jwks_server.hits
    with pytest.raises(BackendUnavailable):  # and the next caller does not hammer it again
        await jwks.get_key(ed25519_key.kid)
    assert jwks_server.hits == hits_after_first_failure


@pytest.mark.parametrize("outage", OUTAGES)
async def test_outage_with_a_cached_key_still_verifies(
    outage: Outage,
    jwks: JwksClient,
    jwks_server: LoopbackJwksServer,
    clock: ManualClock,
    ed25519_key: SigningKey,
) -> None:
    verifier = verifier_for(jwks)
    jwks_server.serve(key_set(ed25519_key))
    assert await verifier.verify(token_from(ed25519_key)) == Principal("user_1")

    outage(jwks_server)
    clock.advance(TTL + 1)
    assert await verifier.verify(token_from(ed25519_key)) == Principal("user_1")
    with pytest.raises(BackendUnavailable):  # an unknown kid might be real: we cannot tell
        await jwks.get_key("unknown-kid")


async def test_cached_keys_stop_verifying_once_stale_past_the_limit(
    jwks_server: LoopbackJwksServer,
    http_client: httpx.AsyncClient,
    clock: ManualClock,
    ed25519_key: SigningKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    max_stale = 3600
    jwks = JwksClient(
        jwks_server.url,
        http_client,
        **(LIMITS | {"max_stale_seconds": max_stale}),
        clock=clock,
    )
    jwks_server.serve(key_set(ed25519_key))
    await jwks.get_key(ed25519_key.kid)
    jwks_server.respond_with(500, b"")

    clock.advance(TTL + max_stale - 1)
    assert (await jwks.get_key(ed25519_key.kid)).kid == ed25519_key.kid  # served before it
    await asyncio.sleep(0.2)  # the background fetch fails
    clock.advance(1)
    for _ in range(3):
        with pytest.raises(BackendUnavailable) as refusal:
            await jwks.get_key(ed25519_key.kid)
        assert refusal.value.retry_after_seconds is not None
        assert refusal.value.retry_after_seconds >= 1
    dropped = [record for record in caplog.records if "JWKS_MAX_STALE_SECONDS" in record.message]
    assert len(dropped) == 1  # once, not per request
    clock.advance(MIN_INTERVAL)  # a failing fetch per interval does not log the drop again
    with pytest.raises(BackendUnavailable):
        await jwks.get_key(ed25519_key.kid)
    assert sum("JWKS_MAX_STALE_SECONDS" in record.message for record in caplog.records) == 1

    jwks_server.serve(key_set(ed25519_key))  # the key server answers again
    clock.advance(MIN_INTERVAL)
    assert (await jwks.get_key(ed25519_key.kid)).kid == ed25519_key.kid


async def test_recovers_after_an_outage(
    jwks: JwksClient, jwks_server: LoopbackJwksServer, clock: ManualClock, ed25519_key: SigningKey
) -> None:
    jwks_server.respond_with(500, b"")
    with pytest.raises(BackendUnavailable):
        await jwks.get_key(ed25519_key.kid)
    jwks_server.serve(key_set(ed25519_key))
    clock.advance(MIN_INTERVAL)
    assert (await jwks.get_key(ed25519_key.kid)).kid == ed25519_key.kid


async def test_concurrent_callers_share_one_fetch(
    jwks_server: LoopbackJwksServer,
    http_client: httpx.AsyncClient,
    clock: ManualClock,
    ed25519_key: SigningKey,
) -> None:
    # No refetch interval: only sharing the in-flight fetch can keep this to one request.
    jwks = JwksClient(
        jwks_server.url,
        http_client,
        **(LIMITS | {"min_refetch_interval_seconds": 0}),
        clock=clock,
    )
    jwks_server.serve(key_set(ed25519_key))
    jwks_server.delay_responses(0.2)
    keys = await asyncio.gather(*(jwks.get_key(ed25519_key.kid) for _ in range(20)))
    assert jwks_server.hits == 1
    assert all(key is keys[0] for key in keys)

    clock.advance(TTL)  # stale: refreshed in the background, the cached key answers at once
    jwks_server.delay_responses(0.3)
    for _ in range(10):
        stale_key = await asyncio.wait_for(jwks.get_key(ed25519_key.kid), timeout=0.1)
        assert stale_key is keys[0]
    with pytest.raises(AuthenticationFailed):  # an unknown kid waits for that same fetch
        await jwks.get_key("unknown-kid")
    assert jwks_server.hits == 2


async def test_skips_keys_it_must_not_or_cannot_use(
    jwks: JwksClient, jwks_server: LoopbackJwksServer, ed25519_key: SigningKey, p256_key: SigningKey
) -> None:
    encryption_key = new_ed25519_key("encryption-key")
    private_key = new_ed25519_key("private-key")
    private_jwk = get_default_algorithms()["EdDSA"].to_jwk(private_key.private_key, as_dict=True)
    without_kid = {k: v for k, v in p256_key.public_jwk().items() if k != "kid"}
    document = {
        "keys": [
            "not an object",
            {"kty": "XYZ", "kid": "unknown-type"},
            {"kty": "EC", "crv": "P-256", "kid": "broken-ec", "x": "AA", "y": "AA"},
            {"kty": "oct", "k": "c2VjcmV0", "kid": "symmetric"},
            private_jwk | {"kid": private_key.kid},
            encryption_key.public_jwk(use="enc"),
            p256_key.public_jwk(alg="RSA-OAEP", kid="foreign-alg"),
            without_kid,
            ed25519_key.public_jwk(use="sig"),
        ]
    }
    jwks_server.serve(document)
    assert (await jwks.get_key(ed25519_key.kid)).kid == ed25519_key.kid
    unusable = ["unknown-type", "broken-ec", "symmetric", "foreign-alg"]
    for kid in [*unusable, private_key.kid, encryption_key.kid]:
        with pytest.raises(AuthenticationFailed):
            await jwks.get_key(kid)
    assert jwks_server.hits == 1


@pytest.mark.parametrize(
    "misbehave",
    [
        pytest.param(lambda server: server.hang(), id="hangs"),
        pytest.param(lambda server: server.drip(0.2), id="drips"),
        pytest.param(lambda server: server.stream_endlessly(), id="endless body"),
        pytest.param(
            lambda server: server.respond_with(200, b'{"keys": ' + b"[" * 50_000 + b"]" * 50_000),
            id="deep JSON",
        ),
    ],
)
async def test_a_fetch_ends_at_its_deadline_or_size_cap_and_the_cache_still_answers(
    misbehave: Outage,
    jwks_server: LoopbackJwksServer,
    http_client: httpx.AsyncClient,
    clock: ManualClock,
    ed25519_key: SigningKey,
) -> None:
    deadline_seconds = 0.5
    jwks = JwksClient(
        jwks_server.url,
        http_client,
        **(LIMITS | {"fetch_deadline_seconds": deadline_seconds}),
        clock=clock,
    )
    jwks_server.serve(key_set(ed25519_key))
    cached = await jwks.get_key(ed25519_key.kid)
    misbehave(jwks_server)
    clock.advance(TTL)

    loop = asyncio.get_running_loop()
    started = loop.time()
    unknown = asyncio.create_task(jwks.get_key("new-kid"))
    await asyncio.sleep(0.05)  # its fetch is in flight: the cached key answers at once
    assert await asyncio.wait_for(jwks.get_key(ed25519_key.kid), timeout=0.1) is cached
    with pytest.raises(BackendUnavailable) as refused:
        await unknown
    assert loop.time() - started < deadline_seconds + 0.3
    assert refused.value.retry_after_seconds == MIN_INTERVAL
    assert jwks_server.hits == 2
    await jwks.aclose()


async def test_aclose_ends_a_fetch_in_flight(
    jwks: JwksClient, jwks_server: LoopbackJwksServer
) -> None:
    jwks_server.hang()
    waiter = asyncio.create_task(jwks.get_key("any"))
    await asyncio.sleep(0.05)
    await asyncio.wait_for(jwks.aclose(), timeout=1)
    with pytest.raises(asyncio.CancelledError):
        await waiter
