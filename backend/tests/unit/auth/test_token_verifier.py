"""TokenVerifier against tokens made here with real keys: what it accepts and what it refuses."""

import json
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.auth_limits import jwks_limits, verifier_limits
from tests.support.signing_keys import (
    SigningKey,
    b64url,
    compose_token,
    hs256_token,
    new_ec_key,
)
from todo_api.auth.jwks import JwksClient
from todo_api.auth.principal import Principal
from todo_api.auth.token_verifier import TokenVerifier
from todo_api.errors import AuthenticationFailed

NOW = 1_800_000_000
LEEWAY = 30
MAX_LIFETIME = 86400
LIMITS = verifier_limits() | {"leeway_seconds": LEEWAY, "max_lifetime_seconds": MAX_LIFETIME}
SECRET = "unit-test-shared-secret-" + "0123456789abcdef" * 3  # long enough for HS512
ISSUER = AUDIENCE = "https://auth.example.test"
USER_ID = "PkT4IjEnSg188RUyeRggOZiHz5miNZE2"
# The RSA key is published twice: once declaring RS256, once (under this kid) with no `alg`.
RSA_WITHOUT_ALG_KID = "rsa-key-no-alg"


@dataclass(frozen=True)
class KeyRing:
    ed25519: SigningKey
    p256: SigningKey
    rsa: SigningKey


@pytest.fixture
def keys(ed25519_key: SigningKey, p256_key: SigningKey, rsa_key: SigningKey) -> KeyRing:
    return KeyRing(ed25519_key, p256_key, rsa_key)


@pytest.fixture
async def jwks_client(keys: KeyRing) -> AsyncIterator[JwksClient]:
    document = {
        "keys": [
            keys.ed25519.public_jwk(),
            keys.p256.public_jwk(),
            keys.rsa.public_jwk(),
            keys.rsa.public_jwk(declare_algorithm=False, kid=RSA_WITHOUT_ALG_KID),
        ]
    }
    transport = httpx.MockTransport(lambda _request: httpx.Response(200, json=document))
    async with httpx.AsyncClient(transport=transport) as client:
        yield JwksClient(f"{ISSUER}/api/auth/jwks", client, **jwks_limits())


@pytest.fixture
def verifier(jwks_client: JwksClient) -> TokenVerifier:
    return TokenVerifier(
        shared_secret=SECRET,
        jwks=jwks_client,
        issuer=ISSUER,
        audience=AUDIENCE,
        clock=lambda: NOW,
        **LIMITS,
    )


def claims(**changes: Any) -> dict[str, Any]:
    """A valid jwt-plugin-shaped claim set; a change to None removes that claim."""
    base: dict[str, Any] = {
        "sub": USER_ID,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": NOW - 60,
        "exp": NOW + 900,
        "email": "ada@example.com",
        "name": "Ada Lovelace",
    }
    merged = base | changes
    return {name: value for name, value in merged.items() if value is not None}


def shared_secret_token(payload: dict[str, Any], secret: str = SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


def with_payload(token: str, payload: dict[str, Any]) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{b64url(json.dumps(payload).encode())}.{signature}"


def flip_first_signature_char(token: str) -> str:
    head, signature = token.rsplit(".", 1)
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


P384_KEY = new_ec_key("p384-key", ec.SECP384R1(), "ES384")
CENTURY = 100 * 365 * 86400


def typed(key: SigningKey, typ: object) -> str:
    """A valid plugin-shaped token from `key` whose header says `typ`."""
    return jwt.encode(
        claims(), key.private_key, algorithm=key.algorithm, headers={"kid": key.kid, "typ": typ}
    )


REFUSED: list[tuple[str, Callable[[KeyRing], str]]] = [
    ("garbage", lambda _: "not-a-token"),
    ("empty", lambda _: ""),
    ("bad base64", lambda _: "a.b.c"),
    ("header not json", lambda _: compose_token(b"hello", claims(), b"x")),
    ("header a json list", lambda _: compose_token([1], claims(), b"x")),
    ("payload not json, signed", lambda _: hs256_token(b"not json", SECRET.encode())),
    ("payload a json list, signed", lambda _: hs256_token([USER_ID], SECRET.encode())),
    ("payload nested too deep, signed", lambda _: hs256_token(b"[" * 3000, SECRET.encode())),
    ("non-ascii", lambda k: k.ed25519.sign(claims()) + "\u00e9"),
    (
        "HS256 cookie past its session's expiresAt",
        lambda _: shared_secret_token(
            session_cookie_claims() | {"session": {"expiresAt": "2027-01-15T07:59:00Z"}}
        ),
    ),
    ("longer than 24 KiB", lambda _: shared_secret_token(claims(padding="x" * 24 * 1024))),
    ("alg none", lambda _: compose_token({"alg": "none"}, claims(), b"")),
    ("alg None", lambda _: compose_token({"alg": "None", "typ": "JWT"}, claims(), b"")),
    ("alg missing", lambda _: compose_token({"typ": "JWT"}, claims(), b"x")),
    ("alg a list", lambda _: compose_token({"alg": ["HS256"]}, claims(), b"x")),
    ("kid a number", lambda k: compose_token({"alg": "EdDSA", "kid": 1}, claims(), b"x")),
    ("HS512 with the secret", lambda _: jwt.encode(claims(), SECRET, algorithm="HS512")),
    (
        "wrong secret",
        lambda _: shared_secret_token(claims(), "another-secret-0123456789abcdefghijkl"),
    ),
    (
        "HS256 keyed with an Ed25519 public PEM",
        lambda k: hs256_token(
            claims(), k.ed25519.public_pem(), {"alg": "HS256", "kid": k.ed25519.kid}
        ),
    ),
    (
        "HS256 keyed with an RSA public PEM",
        lambda k: hs256_token(claims(), k.rsa.public_pem(), {"alg": "HS256", "kid": k.rsa.kid}),
    ),
    (
        "HS256 keyed with the public JWK JSON",
        lambda k: hs256_token(claims(), json.dumps(k.ed25519.public_jwk()).encode()),
    ),
    ("tampered payload", lambda k: with_payload(k.ed25519.sign(claims()), claims(sub="victim"))),
    ("tampered signature", lambda _: flip_first_signature_char(shared_secret_token(claims()))),
    ("expired", lambda k: k.ed25519.sign(claims(exp=NOW - LEEWAY - 1))),
    ("expired, shared secret", lambda _: shared_secret_token(claims(exp=NOW - LEEWAY - 1))),
    ("nbf in the future", lambda k: k.p256.sign(claims(nbf=NOW + LEEWAY + 5))),
    ("iat in the future", lambda k: k.rsa.sign(claims(iat=NOW + LEEWAY + 5))),
    ("missing exp", lambda k: k.ed25519.sign(claims(exp=None))),
    ("missing exp, shared secret", lambda _: shared_secret_token(claims(exp=None))),
    ("exp a string", lambda _: shared_secret_token(claims(exp=str(NOW + 900)))),
    ("exp a boolean", lambda _: shared_secret_token(claims(exp=True))),
    ("exp infinite", lambda _: shared_secret_token(claims(exp=float("inf")))),
    ("nbf a string", lambda _: shared_secret_token(claims(nbf="yesterday"))),
    ("wrong issuer", lambda k: k.ed25519.sign(claims(iss="https://evil.example"))),
    ("missing issuer", lambda k: k.ed25519.sign(claims(iss=None))),
    ("wrong issuer, shared secret", lambda _: shared_secret_token(claims(iss="https://evil"))),
    ("wrong audience", lambda k: k.p256.sign(claims(aud="https://other.example"))),
    ("audience list without ours", lambda k: k.p256.sign(claims(aud=["a", "b"]))),
    ("missing audience", lambda k: k.p256.sign(claims(aud=None))),
    ("wrong audience, shared secret", lambda _: shared_secret_token(claims(aud="other"))),
    ("no subject", lambda k: k.ed25519.sign(claims(sub=None))),
    ("no subject, shared secret", lambda _: shared_secret_token(claims(sub=None))),
    ("subject with a slash", lambda k: k.ed25519.sign(claims(sub="user/1"))),
    ("subject with a space", lambda _: shared_secret_token(claims(sub="user 1"))),
    ("subject empty", lambda _: shared_secret_token(claims(sub=""))),
    ("subject too long", lambda _: shared_secret_token(claims(sub="u" * 129))),
    ("subject a number", lambda _: shared_secret_token(claims(sub=42))),
    (
        "session claim without a user",
        lambda _: shared_secret_token(claims(sub=None, session={"userId": "../x"})),
    ),
    ("unknown kid", lambda k: k.ed25519.sign(claims(), kid="no-such-key")),
    ("no kid", lambda k: jwt.encode(claims(), k.ed25519.private_key, algorithm="EdDSA")),
    ("RS256 header, Ed25519 key", lambda k: k.rsa.sign(claims(), kid=k.ed25519.kid)),
    ("EdDSA header, RSA key", lambda k: k.ed25519.sign(claims(), kid=RSA_WITHOUT_ALG_KID)),
    ("ES384 header, P-256 key", lambda k: P384_KEY.sign(claims(), kid=k.p256.kid)),
    ("ES256 header, RSA key", lambda k: k.p256.sign(claims(), kid=RSA_WITHOUT_ALG_KID)),
    ("PS256 header, JWK declares RS256", lambda k: k.rsa.sign(claims(), algorithm="PS256")),
    ("typ at+jwt (an OAuth access token)", lambda k: typed(k.ed25519, "at+jwt")),
    ("typ logout+jwt", lambda k: typed(k.p256, "logout+jwt")),
    ("typ lower-case jwt", lambda k: typed(k.rsa, "jwt")),
    ("typ a list", lambda k: typed(k.ed25519, ["JWT"])),
    ("100 years, shared secret", lambda _: shared_secret_token(claims(exp=NOW + CENTURY))),
    ("100 years, JWKS", lambda k: k.ed25519.sign(claims(exp=NOW + CENTURY))),
    ("100 years, no iat", lambda _: shared_secret_token(claims(iat=None, exp=NOW + CENTURY))),
    (
        "a second past the maximum lifetime after iat",
        lambda _: shared_secret_token(claims(iat=NOW - 60, exp=NOW - 60 + MAX_LIFETIME + 1)),
    ),
    (
        "no iat, past the maximum lifetime from now",
        lambda k: k.p256.sign(claims(iat=None, exp=NOW + LEEWAY + MAX_LIFETIME + 1)),
    ),
]


@pytest.mark.parametrize("make_token", [pytest.param(make, id=name) for name, make in REFUSED])
async def test_refuses(
    make_token: Callable[[KeyRing], str], keys: KeyRing, verifier: TokenVerifier
) -> None:
    token = make_token(keys)
    with pytest.raises(AuthenticationFailed) as refusal:
        await verifier.verify(token)
    for segment in token.split("."):
        assert len(segment) < 8 or segment not in refusal.value.detail  # never echoes the token


ACCEPTED_PRINCIPAL = Principal(user_id=USER_ID, email="ada@example.com", name="Ada Lovelace")


@pytest.mark.parametrize("key_name", ["ed25519", "p256", "rsa"])
async def test_accepts_jwks_tokens(key_name: str, keys: KeyRing, verifier: TokenVerifier) -> None:
    key: SigningKey = getattr(keys, key_name)
    assert await verifier.verify(key.sign(claims())) == ACCEPTED_PRINCIPAL


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "RS512"])
async def test_accepts_any_rsa_algorithm_for_a_jwk_without_alg(
    algorithm: str, keys: KeyRing, verifier: TokenVerifier
) -> None:
    token = keys.rsa.sign(claims(), algorithm=algorithm, kid=RSA_WITHOUT_ALG_KID)
    assert await verifier.verify(token) == ACCEPTED_PRINCIPAL


async def test_accepts_an_audience_list_holding_ours(
    keys: KeyRing, verifier: TokenVerifier
) -> None:
    token = keys.ed25519.sign(claims(aud=["https://other.example", AUDIENCE]))
    assert await verifier.verify(token) == ACCEPTED_PRINCIPAL


async def test_accepts_shared_secret_token_with_sub(verifier: TokenVerifier) -> None:
    token = shared_secret_token(claims(iss=None, aud=None))
    assert await verifier.verify(token) == ACCEPTED_PRINCIPAL


async def test_accepts_shared_secret_token_naming_our_issuer_and_audience(
    verifier: TokenVerifier,
) -> None:
    assert await verifier.verify(shared_secret_token(claims())) == ACCEPTED_PRINCIPAL


def session_cookie_claims(**user_changes: Any) -> dict[str, Any]:
    """The `jwt` cookie-cache strategy's payload, as Better Auth signs it (no `sub`)."""
    user = {"id": USER_ID, "email": "ada@example.com", "name": "Ada Lovelace"} | user_changes
    session = {"userId": USER_ID, "token": "t0k3n", "expiresAt": "2027-01-22T08:00:00.000Z"}
    return {"session": session, "user": user, "updatedAt": NOW * 1000, "exp": NOW + 295}


async def test_accepts_session_cookie_shaped_token(verifier: TokenVerifier) -> None:
    assert await verifier.verify(shared_secret_token(session_cookie_claims())) == ACCEPTED_PRINCIPAL


async def test_session_cookie_user_is_user_id_as_better_auth_reads_it(
    verifier: TokenVerifier,
) -> None:
    payload = session_cookie_claims()
    payload["session"]["userId"] = "someone-else"
    assert await verifier.verify(shared_secret_token(payload)) == ACCEPTED_PRINCIPAL


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"user": {"id": USER_ID}, "exp": NOW + 60}, id="user without session"),
        pytest.param({"session": {"userId": USER_ID}, "exp": NOW + 60}, id="session without user"),
        pytest.param(
            session_cookie_claims() | {"updatedAt": "yesterday"}, id="updatedAt not a number"
        ),
        pytest.param(
            session_cookie_claims() | {"session": {"expiresAt": "2027-01-15"}},
            id="session expiresAt not an instant",
        ),
        pytest.param(
            session_cookie_claims() | {"session": {"expiresAt": "2027-02-30T00:00:00Z"}},
            id="session expiresAt not a date",
        ),
        pytest.param(session_cookie_claims(id="a/b"), id="user id with a slash"),
        pytest.param(session_cookie_claims(id=None), id="user without id"),
    ],
)
async def test_refuses_incomplete_session_cookie_payloads(
    payload: dict[str, Any], verifier: TokenVerifier
) -> None:
    with pytest.raises(AuthenticationFailed):
        await verifier.verify(shared_secret_token(payload))


async def test_shared_secret_token_with_a_kid_is_still_verified_with_the_secret(
    keys: KeyRing, verifier: TokenVerifier
) -> None:
    token = jwt.encode(claims(), SECRET, algorithm="HS256", headers={"kid": keys.ed25519.kid})
    assert await verifier.verify(token) == ACCEPTED_PRINCIPAL


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"exp": NOW - LEEWAY + 1}, id="exp just inside leeway"),
        pytest.param({"nbf": NOW + LEEWAY - 1}, id="nbf just inside leeway"),
        pytest.param({"iat": NOW + LEEWAY - 1}, id="iat just inside leeway"),
    ],
)
async def test_honours_leeway(
    changes: dict[str, int], keys: KeyRing, jwks_client: JwksClient, verifier: TokenVerifier
) -> None:
    token = keys.ed25519.sign(claims(**changes))
    assert await verifier.verify(token) == ACCEPTED_PRINCIPAL
    strict = TokenVerifier(
        shared_secret=SECRET,
        jwks=jwks_client,
        issuer=ISSUER,
        audience=AUDIENCE,
        clock=lambda: NOW,
        **(LIMITS | {"leeway_seconds": 0}),
    )
    with pytest.raises(AuthenticationFailed):
        await strict.verify(token)


async def test_shared_secret_tokens_are_refused_without_a_shared_secret(
    keys: KeyRing, jwks_client: JwksClient
) -> None:
    verifier = TokenVerifier(
        shared_secret=None,
        jwks=jwks_client,
        issuer=None,
        audience=None,
        clock=lambda: NOW,
        **LIMITS,
    )
    assert await verifier.verify(keys.ed25519.sign(claims())) == ACCEPTED_PRINCIPAL
    # Algorithm confusion: the public key in PEM form must not work as an HMAC secret either.
    for token in (
        shared_secret_token(claims()),
        hs256_token(claims(), keys.ed25519.public_pem(), {"alg": "HS256", "kid": keys.ed25519.kid}),
    ):
        with pytest.raises(AuthenticationFailed):
            await verifier.verify(token)


async def test_jwks_tokens_are_refused_without_a_jwks_client(keys: KeyRing) -> None:
    verifier = TokenVerifier(
        shared_secret=SECRET, jwks=None, issuer=None, audience=None, clock=lambda: NOW, **LIMITS
    )
    assert await verifier.verify(shared_secret_token(claims())) == ACCEPTED_PRINCIPAL
    with pytest.raises(AuthenticationFailed):
        await verifier.verify(keys.ed25519.sign(claims()))


def test_needs_a_secret_or_a_jwks_client() -> None:
    with pytest.raises(ValueError, match="shared secret"):
        TokenVerifier(shared_secret=None, jwks=None, issuer=None, audience=None, **LIMITS)
    with pytest.raises(ValueError, match="empty"):
        TokenVerifier(shared_secret="", jwks=None, issuer=None, audience=None, **LIMITS)


def test_refuses_a_public_key_as_the_shared_secret(keys: KeyRing) -> None:
    with pytest.raises(ValueError, match="shared secret"):
        TokenVerifier(
            shared_secret=keys.rsa.public_pem().decode(),
            jwks=None,
            issuer=None,
            audience=None,
            **LIMITS,
        )


async def test_mangled_tokens_only_ever_raise_authentication_failed(
    keys: KeyRing, verifier: TokenVerifier
) -> None:
    rng = random.Random(20240601)
    originals = [keys.ed25519.sign(claims()), shared_secret_token(claims())]
    alphabet = "ABCxyz019-_.=+/ \x00é"
    for _ in range(300):
        token = rng.choice(originals)
        position = rng.randrange(len(token))
        replacement = rng.choice([c for c in alphabet if c != token[position]])
        mangled = rng.choice(
            [
                token[:position] + replacement + token[position + 1 :],
                token[:position],
                token[:position] + replacement + token[position:],
            ]
        )
        with pytest.raises(AuthenticationFailed):
            await verifier.verify(mangled)


ODD_VALUES: list[Any] = [None, [], {}, "", "x", 0, 1.5, True, [USER_ID], {"userId": 7}]


@pytest.mark.parametrize(
    "claim", ["sub", "exp", "nbf", "iat", "iss", "aud", "session", "user", "email", "name"]
)
async def test_odd_claim_types_only_ever_raise_authentication_failed(
    claim: str, verifier: TokenVerifier
) -> None:
    for value in ODD_VALUES:
        payload = claims(sub=None) | session_cookie_claims() | {claim: value}
        token = hs256_token(payload, SECRET.encode())  # PyJWT would refuse to encode some
        try:
            principal = await verifier.verify(token)
        except AuthenticationFailed:
            continue
        assert principal.user_id == USER_ID or principal.user_id == value


@pytest.mark.parametrize("typ", [None, "JWT"])
async def test_accepts_jwks_tokens_typed_as_a_plain_jwt_or_untyped(
    typ: str | None, keys: KeyRing, verifier: TokenVerifier
) -> None:
    assert await verifier.verify(typed(keys.ed25519, typ)) == ACCEPTED_PRINCIPAL


async def test_accepts_a_lifetime_of_exactly_the_maximum(
    keys: KeyRing, verifier: TokenVerifier
) -> None:
    full_day = claims(iat=NOW - 60, exp=NOW - 60 + MAX_LIFETIME)
    assert await verifier.verify(shared_secret_token(full_day)) == ACCEPTED_PRINCIPAL
    no_iat = claims(iat=None, exp=NOW + LEEWAY + MAX_LIFETIME)
    assert await verifier.verify(keys.ed25519.sign(no_iat)) == ACCEPTED_PRINCIPAL
