"""Every credential form a real Better Auth 1.7.25 made (tests/data/better-auth-1.7.25-tokens.json)
verifies as Better Auth itself verifies it, and tampered, expired or foreign ones are refused."""

import json
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.support.auth_limits import jwks_limits, verifier_limits
from tests.support.better_auth_cookies import (
    compact_cookie,
    jwe_cookie,
    jwt_payload,
    read_compact_cookie,
    read_jwe_cookie,
)
from tests.support.signing_keys import SigningKey, new_ed25519_key
from todo_api.auth.jwks import JwksClient
from todo_api.auth.jwks_jwt import SESSION_CACHE_AUDIENCE, SESSION_CACHE_TYPE
from todo_api.auth.principal import Principal
from todo_api.auth.token_verifier import MAX_TOKEN_LENGTH, TokenVerifier
from todo_api.config import Settings
from todo_api.errors import AuthenticationFailed, BackendUnavailable

FIXTURE_PATH = Path(__file__).parents[2] / "data" / "better-auth-1.7.25-tokens.json"
FIXTURE: dict[str, Any] = json.loads(FIXTURE_PATH.read_text())
CAPTURED_AT: float = FIXTURE["captured_at_unix"]
BASE_URL: str = FIXTURE["base_url"]
SECRET: str = FIXTURE["better_auth_secret"]
OLD_SECRET: str = FIXTURE["rotation"]["old_secret"]
OTHER_SECRET = "another-secret-0123456789abcdefghijklmnop"
LEEWAY = 30
COOKIES = FIXTURE["cookie_cache"]
JWKS_COOKIE = COOKIES["jwt_signed_by_jwks"]
# A key of our own, published beside the captured ones, signs variants of the JWKS cookie.
OWN_KEY: SigningKey = new_ed25519_key("own-test-key")


@dataclass(frozen=True)
class Form:
    name: str
    token: str
    user_id: str
    jwks: dict[str, Any]
    is_cookie: bool = True

    def expires_at(self) -> float:
        """The credential's own expiry (not its session's), in seconds."""
        if self.token.count(".") == 0:
            return read_compact_cookie(self.token)[1] / 1000
        if self.token.count(".") == 4:
            return float(read_jwe_cookie(self.token, SECRET)["exp"])
        return float(jwt_payload(self.token)["exp"])


def _forms() -> list[Form]:
    forms = [
        Form(name, COOKIES[name]["session_data"], COOKIES[name]["user_id"], JWKS_COOKIE["jwks"])
        for name in ("compact", "compact_https", "compact_chunked", "jwt", "jwe")
    ]
    forms.append(
        Form(
            "jwt_signed_by_jwks",
            JWKS_COOKIE["session_data"],
            JWKS_COOKIE["user_id"],
            JWKS_COOKIE["jwks"],
        )
    )
    forms += [
        Form(f"jwt_plugin {alg}", case["jwt_plugin_token"], case["user_id"], case["jwks"], False)
        for alg, case in FIXTURE["jwt_plugin"].items()
    ]
    minted = FIXTURE["minted"]
    forms.append(Form("minted", minted["token"], minted["user_id"], JWKS_COOKIE["jwks"], False))
    return forms


FORMS = [pytest.param(form, id=form.name) for form in _forms()]
SECRET_FORMS = [
    pytest.param(form, id=form.name)
    for form in _forms()
    if form.name in {"compact", "compact_chunked", "jwt", "jwe", "minted"}
]
MakeVerifier = Callable[..., TokenVerifier]


@pytest.fixture
async def make_verifier() -> AsyncIterator[MakeVerifier]:
    """Verifiers configured like the Better Auth that made the fixtures, at a chosen time."""
    clients: list[httpx.AsyncClient] = []

    def make(
        jwks: dict[str, Any] = JWKS_COOKIE["jwks"],
        *,
        at: float | None = CAPTURED_AT,
        secrets: Sequence[str] = (SECRET,),
        issuer: str = BASE_URL,
    ) -> TokenVerifier:
        document = {"keys": [*jwks["keys"], OWN_KEY.public_jwk()]}
        transport = httpx.MockTransport(lambda _request: httpx.Response(200, json=document))
        clients.append(httpx.AsyncClient(transport=transport))
        return TokenVerifier(
            shared_secret=secrets[0],
            retired_secrets=secrets[1:],
            jwks=JwksClient(f"{BASE_URL}/api/auth/jwks", clients[-1], **jwks_limits()),
            issuer=issuer,
            audience=BASE_URL,
            clock=time.time if at is None else lambda: at,
            **(verifier_limits() | {"leeway_seconds": LEEWAY}),
        )

    yield make
    for client in clients:
        await client.aclose()


async def refused(verifier: TokenVerifier, token: str) -> str:
    """The refusal's detail; fails the test if the token is accepted."""
    with pytest.raises(AuthenticationFailed) as refusal:
        await verifier.verify(token)
    return refusal.value.detail


@pytest.mark.parametrize("form", FORMS)
async def test_every_form_verifies_at_capture_time(form: Form, make_verifier: MakeVerifier) -> None:
    principal = await make_verifier(form.jwks).verify(form.token)
    if form.name == "minted":
        assert principal == Principal(user_id=form.user_id)
    else:
        assert principal == Principal(form.user_id, "ada@example.com", "Ada Lovelace")


@pytest.mark.parametrize("form", FORMS)
async def test_every_form_is_refused_at_the_real_time(
    form: Form, make_verifier: MakeVerifier
) -> None:
    assert "expired" in await refused(make_verifier(form.jwks, at=None), form.token)


@pytest.mark.parametrize("form", FORMS)
async def test_every_form_expires_with_its_own_expiry(
    form: Form, make_verifier: MakeVerifier
) -> None:
    expires_at = form.expires_at()
    assert expires_at - CAPTURED_AT < 3600  # the cookie (5 min) well before its session (7 days)
    await make_verifier(form.jwks, at=expires_at + LEEWAY - 1).verify(form.token)
    assert "expired" in await refused(make_verifier(form.jwks, at=expires_at + LEEWAY), form.token)


def flip(text: str, index: int) -> str:
    """`text` with the base64url character at `index` changed (mid-segment, so never a
    trailing character whose low bits base64url ignores)."""
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def tampered_variants(token: str) -> dict[str, str]:
    segments = token.split(".")
    if len(segments) == 1:
        session_data, expires_at, signature = read_compact_cookie(token)
        forged_user = session_data | {"user": session_data["user"] | {"id": "intruder"}}
        return {
            "session data": compact_cookie(forged_user, expires_at, "", signature=signature),
            "expiresAt": compact_cookie(session_data, expires_at * 2, "", signature=signature),
            "signature": compact_cookie(
                session_data, expires_at, "", signature=flip(signature, 10)
            ),
            "a byte in the middle": flip(token, len(token) // 2),
        }
    names = ["header", "payload", "signature"]
    if len(segments) == 5:
        names = ["header", "encrypted key", "iv", "ciphertext", "tag"]
    variants = {}
    for position, name in enumerate(names):
        if segments[position]:  # `dir` has no encrypted key
            changed = list(segments)
            changed[position] = flip(segments[position], len(segments[position]) // 2)
            variants[name] = ".".join(changed)
    return variants


@pytest.mark.parametrize("form", FORMS)
async def test_a_tampered_credential_of_any_form_is_refused(
    form: Form, make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(form.jwks)
    variants = tampered_variants(form.token)
    assert len(variants) >= 3
    for part, variant in variants.items():
        assert variant != form.token, part
        await refused(verifier, variant)


@pytest.mark.parametrize("form", SECRET_FORMS)
async def test_forms_made_with_the_secret_are_refused_with_another(
    form: Form, make_verifier: MakeVerifier
) -> None:
    await refused(make_verifier(secrets=[OTHER_SECRET]), form.token)


# Session expiry. The captured cookies expire (5 min) long before their sessions (7 days), so
# these variants, made as Better Auth makes them, carry a session that ended before capture.
ENDED = "2026-11-29T22:00:00.000Z"  # before CAPTURED_AT, past any leeway


def with_session_expiry(payload: dict[str, Any], expires_at: str) -> dict[str, Any]:
    return payload | {"session": payload["session"] | {"expiresAt": expires_at}}


def compact_with_session_expiry(expires_at: str) -> str:
    session_data, cookie_expires_at, _ = read_compact_cookie(COOKIES["compact"]["session_data"])
    return compact_cookie(with_session_expiry(session_data, expires_at), cookie_expires_at, SECRET)


def jwt_with_session_expiry(expires_at: str) -> str:
    claims = with_session_expiry(jwt_payload(COOKIES["jwt"]["session_data"]), expires_at)
    return jwt.encode(claims, SECRET, algorithm="HS256")


def jwe_with_session_expiry(expires_at: str) -> str:
    payload = read_jwe_cookie(COOKIES["jwe"]["session_data"], SECRET)
    return jwe_cookie(with_session_expiry(payload, expires_at), SECRET)


def jwks_cookie(claims: dict[str, Any], **header: Any) -> str:
    """The JWKS-signed cookie's claims signed with our own published key."""
    headers = {"kid": OWN_KEY.kid, "typ": SESSION_CACHE_TYPE} | header
    return jwt.encode(claims, OWN_KEY.private_key, algorithm="EdDSA", headers=headers)


def jwks_cookie_with_session_expiry(expires_at: str) -> str:
    return jwks_cookie(with_session_expiry(jwt_payload(JWKS_COOKIE["session_data"]), expires_at))


SESSION_EXPIRY_VARIANTS = [
    pytest.param(make, id=name)
    for name, make in [
        ("compact", compact_with_session_expiry),
        ("jwt", jwt_with_session_expiry),
        ("jwe", jwe_with_session_expiry),
        ("jwt_signed_by_jwks", jwks_cookie_with_session_expiry),
    ]
]


@pytest.mark.parametrize("make_cookie", SESSION_EXPIRY_VARIANTS)
async def test_every_cookie_form_enforces_its_session_expiry(
    make_cookie: Callable[[str], str], make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier()
    # The variant maker is faithful: a session still running verifies...
    principal = await verifier.verify(make_cookie("2026-12-06T23:34:49.807Z"))
    assert principal.email == "ada@example.com"
    # ...one that ended does not, though the cookie itself is still fresh.
    assert "session has expired" in await refused(verifier, make_cookie(ENDED))
    assert "expiry" in await refused(verifier, make_cookie("next week"))


async def test_the_jwks_cookie_is_held_to_its_own_type_audience_and_issuer(
    make_verifier: MakeVerifier,
) -> None:
    verifier = make_verifier()
    claims = jwt_payload(JWKS_COOKIE["session_data"])
    assert await verifier.verify(jwks_cookie(claims)) == Principal(
        JWKS_COOKIE["user_id"], "ada@example.com", "Ada Lovelace"
    )
    for case, token in {
        "no typ: a plugin token for Better Auth's audience": jwks_cookie(claims, typ=None),
        "typ JWT": jwks_cookie(claims, typ="JWT"),
        "wrong audience": jwks_cookie(claims | {"aud": BASE_URL}),
        "no audience": jwks_cookie({k: v for k, v in claims.items() if k != "aud"}),
        "wrong issuer": jwks_cookie(claims | {"iss": "https://evil.example"}),
        "no issuer": jwks_cookie({k: v for k, v in claims.items() if k != "iss"}),
        "sub not the user": jwks_cookie(claims | {"sub": "someoneElse"}),
        "sid not the session": jwks_cookie(claims | {"sid": "another-session-token"}),
        "expired": jwks_cookie(claims | {"exp": CAPTURED_AT - LEEWAY - 1}),
    }.items():
        assert await refused(verifier, token), case


async def test_the_jwks_cookie_names_better_auths_fixed_audience() -> None:
    claims = jwt_payload(JWKS_COOKIE["session_data"])
    assert claims["aud"] == SESSION_CACHE_AUDIENCE
    assert jwt.get_unverified_header(JWKS_COOKIE["session_data"])["typ"] == SESSION_CACHE_TYPE


def rotation_secrets() -> list[str]:
    config = Settings(
        _env_file=None, better_auth_secrets=FIXTURE["rotation"]["better_auth_secrets"]
    )  # type: ignore[call-arg]
    assert config.shared_secret is not None
    return [config.shared_secret, *config.retired_secrets.values()]


ROTATION = [
    pytest.param(when, strategy, id=f"{when}-{strategy}")
    for when in ("before", "after")
    for strategy in ("compact", "jwt", "jwe")
]


@pytest.mark.parametrize(("when", "strategy"), ROTATION)
async def test_after_a_rotation_the_old_secret_opens_only_its_jwe_cookies(
    when: str, strategy: str, make_verifier: MakeVerifier
) -> None:
    case = FIXTURE["rotation"][when][strategy]
    # Made with the old secret before the rotation, with the new one after.
    made_with, not_made_with = (OLD_SECRET, SECRET) if when == "before" else (SECRET, OLD_SECRET)
    principal = await make_verifier(secrets=[made_with]).verify(case["session_data"])
    assert principal.user_id == case["user_id"]
    await refused(make_verifier(secrets=[not_made_with]), case["session_data"])
    # Better Auth, configured "2:<new>,1:<old>", reads compact and jwt cookies with the new
    # secret only and decrypts jwe cookies with either.
    rotated = make_verifier(secrets=rotation_secrets())
    if when == "after" or strategy == "jwe":
        assert await rotated.verify(case["session_data"]) == principal
    else:
        assert "signature" in await refused(rotated, case["session_data"])


async def test_an_old_secrets_jwe_cookie_is_refused_past_the_cookie_cache_lifetime(
    make_verifier: MakeVerifier,
) -> None:
    case = FIXTURE["rotation"]["before"]["jwe"]
    payload = read_jwe_cookie(case["session_data"], OLD_SECRET)
    assert payload["exp"] - payload["iat"] == 300  # Better Auth's default cookie cache maxAge
    last_accepted = CAPTURED_AT + verifier_limits()["cookie_max_age_seconds"] + LEEWAY
    verifier = make_verifier(secrets=rotation_secrets())
    for secret in (OLD_SECRET, SECRET):
        cookie = jwe_cookie(payload | {"exp": last_accepted}, secret)
        assert (await verifier.verify(cookie)).user_id == case["user_id"]
    forged = jwe_cookie(payload | {"exp": last_accepted + 1}, OLD_SECRET)
    assert "retired" in await refused(verifier, forged)
    # With the current secret, the same cookie is read.
    cookie = jwe_cookie(payload | {"exp": last_accepted + 1}, SECRET)
    assert (await verifier.verify(cookie)).user_id == case["user_id"]


async def test_a_jwe_without_kid_is_tried_with_every_secret(make_verifier: MakeVerifier) -> None:
    payload = read_jwe_cookie(COOKIES["jwe"]["session_data"], SECRET)
    old_without_kid = jwe_cookie(payload, OLD_SECRET, with_kid=False)
    assert (await make_verifier(secrets=[SECRET, OLD_SECRET]).verify(old_without_kid)).user_id
    await refused(make_verifier(secrets=[SECRET]), old_without_kid)
    forged = jwe_cookie(payload | {"exp": CAPTURED_AT + 3600}, OLD_SECRET, with_kid=False)
    assert "retired" in await refused(make_verifier(secrets=[SECRET, OLD_SECRET]), forged)


async def test_a_jwe_with_an_unknown_kid_is_refused(make_verifier: MakeVerifier) -> None:
    payload = read_jwe_cookie(COOKIES["jwe"]["session_data"], SECRET)
    token = jwe_cookie(payload, OTHER_SECRET)
    assert "unknown key" in await refused(make_verifier(), token)


async def test_a_session_as_big_as_better_auth_makes_fits(make_verifier: MakeVerifier) -> None:
    chunked = COOKIES["compact_chunked"]
    assert len(chunked["cookie_names"]) == 2
    assert len(chunked["session_data"]) > 7000
    session_data, expires_at, _ = read_compact_cookie(chunked["session_data"])
    image = "https://cdn.example.com/" + "a" * 17_000
    big = compact_cookie(
        session_data | {"user": session_data["user"] | {"image": image}}, expires_at, SECRET
    )
    assert 16 * 1024 < len(big) <= MAX_TOKEN_LENGTH
    assert (await make_verifier().verify(big)).user_id == chunked["user_id"]
    bigger = compact_cookie(
        session_data | {"user": session_data["user"] | {"image": image * 2}}, expires_at, SECRET
    )
    assert "too long" in await refused(make_verifier(), bigger)


@pytest.mark.parametrize("form", FORMS)
async def test_mangled_credentials_of_every_form_are_refused_not_crashed(
    form: Form, make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(form.jwks, secrets=[SECRET, OLD_SECRET])
    original = await verifier.verify(form.token)
    rng = random.Random(f"mangle-{form.name}")
    alphabet = "ABCxyz019-_.=+/ \x00é"
    for _ in range(150):
        token, position = form.token, rng.randrange(len(form.token))
        replacement = rng.choice([c for c in alphabet if c != token[position]])
        mangled = rng.choice(
            [
                token[:position] + replacement + token[position + 1 :],
                token[:position],
                token[:position] + replacement + token[position:],
            ]
        )
        try:
            principal = await verifier.verify(mangled)
        except AuthenticationFailed:
            continue
        except BackendUnavailable:
            # A mangled `kid` names no cached key: it could be one Better Auth just made, so
            # the answer is "retry shortly" (503), never a crash.
            assert form.jwks is not None, mangled
            continue
        # Only a change base64url ignores (the low bits of a segment's last character) passes.
        assert principal == original, mangled


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "dir", "enc": "A256GCM"},
        {"alg": "A256KW", "enc": "A256CBC-HS512"},
        {"alg": "dir", "enc": "A256CBC-HS512", "zip": "DEF"},
    ],
)
async def test_a_jwe_outside_better_auths_algorithms_is_refused_before_decryption(
    header: dict[str, str], make_verifier: MakeVerifier
) -> None:
    segments = COOKIES["jwe"]["session_data"].split(".")
    segments[0] = jwt.utils.base64url_encode(json.dumps(header).encode()).decode()
    assert "encryption algorithm" in await refused(make_verifier(), ".".join(segments))


async def test_cookies_made_to_outlive_the_maximum_lifetime_are_refused(
    make_verifier: MakeVerifier,
) -> None:
    century = 100 * 365 * 86400
    session_data, _, _ = read_compact_cookie(COOKIES["compact"]["session_data"])
    compact = compact_cookie(session_data, int((CAPTURED_AT + century) * 1000), SECRET)
    assert "lifetime" in await refused(make_verifier(), compact)
    payload = read_jwe_cookie(COOKIES["jwe"]["session_data"], SECRET)
    encrypted = jwe_cookie(payload | {"exp": CAPTURED_AT + century}, SECRET)
    assert "lifetime" in await refused(make_verifier(), encrypted)
