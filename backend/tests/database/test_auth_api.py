"""Authentication on every task endpoint: real Better Auth tokens in, every bad token out."""

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI

from tests.conftest import ALICE, BOB, TEST_SECRET, token_for
from tests.support.auth_limits import jwks_limits, verifier_limits
from tests.support.jwks_server import LoopbackJwksServer
from tests.support.signing_keys import (
    SigningKey,
    compose_token,
    hs256_token,
    new_ec_key,
    new_ed25519_key,
    new_rsa_key,
)
from todo_api.auth.jwks import JwksClient
from todo_api.auth.token_verifier import TokenVerifier
from todo_api.config import Settings
from todo_api.db.sessions import RequestSessions

FIXTURES = json.loads(
    (Path(__file__).parents[1] / "data" / "better-auth-1.7.24-tokens.json").read_text()
)
FORMS_FIXTURE = json.loads(
    (Path(__file__).parents[1] / "data" / "better-auth-1.7.25-tokens.json").read_text()
)
ISSUER = "http://localhost:3000"

# Each task operation, with a body where it takes one.
OPERATIONS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "", None),
    ("POST", "", {"title": "intruder"}),
    ("GET", "/{task_id}", None),
    ("PUT", "/{task_id}", {"title": "intruder", "description": None, "is_completed": True}),
    ("DELETE", "/{task_id}", None),
    ("PATCH", "/{task_id}/complete", None),
]


@pytest.fixture(scope="module")
def ed25519_key() -> SigningKey:
    return new_ed25519_key("ed-1")


@pytest.fixture(scope="module")
def jwks_server(ed25519_key: SigningKey) -> Iterator[LoopbackJwksServer]:
    p256, rsa = new_ec_key("p256-1", ec.SECP256R1(), "ES256"), new_rsa_key("rsa-1")
    with LoopbackJwksServer({"keys": [k.public_jwk() for k in (ed25519_key, p256, rsa)]}) as server:
        yield server


@pytest.fixture
async def use_verifier(clean_app: FastAPI) -> AsyncIterator[Callable[[TokenVerifier], None]]:
    """Swap the app's verifier for one built by the test (a JWKS source, a fixed clock)."""

    original = clean_app.state.token_verifier

    def use(verifier: TokenVerifier) -> None:
        clean_app.state.token_verifier = verifier

    yield use
    clean_app.state.token_verifier = original


@pytest.fixture
async def jwks_http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
        yield client


def jwks_verifier(
    url: str,
    http: httpx.AsyncClient,
    *,
    secret: str | None = TEST_SECRET,
    clock: Callable[[], float] = time.time,
) -> TokenVerifier:
    return TokenVerifier(
        shared_secret=secret,
        jwks=JwksClient(url, http, **(jwks_limits() | {"min_refetch_interval_seconds": 0})),
        issuer=ISSUER,
        audience=ISSUER,
        clock=clock,
        **verifier_limits(),
    )


def fixture_verifier(
    url: str, http: httpx.AsyncClient, *, at: float | None = None
) -> TokenVerifier:
    """A verifier configured like the Better Auth instance that made the fixtures."""
    return TokenVerifier(
        shared_secret=FIXTURES["better_auth_secret"],
        jwks=JwksClient(url, http, **jwks_limits()),
        issuer=FIXTURES["base_url"],
        audience=FIXTURES["base_url"],
        clock=time.time if at is None else lambda: float(at),
        **verifier_limits(),
    )


def anonymous(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://testserver",
    )


def claims(sub: str | None = ALICE, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {"iat": now, "exp": now + 600, "iss": ISSUER, "aud": ISSUER}
    if sub is not None:
        base["sub"] = sub
    return base | extra


@pytest.fixture
def count_units_of_work(clean_app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many database transactions requests opened since the fixture was set up."""
    sessions: RequestSessions = clean_app.state.database.sessions
    calls = 0
    original = sessions.autocommit_session

    def counting() -> Any:
        nonlocal calls
        calls += 1
        return original()

    monkeypatch.setattr(sessions, "autocommit_session", counting)
    return lambda: calls


class TestRefusals:
    @staticmethod
    def bad_tokens(key: SigningKey) -> dict[str, str | None]:
        jwk_json = json.dumps(key.public_jwk()).encode()
        return {
            "no header": None,
            "wrong scheme": "Basic dXNlcjpwYXNz",
            "garbage": "Bearer not.a.jwt",
            "alg none": "Bearer " + compose_token({"alg": "none", "typ": "JWT"}, claims(), b""),
            "wrong secret": "Bearer "
            + hs256_token(claims(), b"another-secret-another-secret-0000"),
            "hs256 with the jwks public key": "Bearer " + hs256_token(claims(), jwk_json),
            "hs256 with the public key pem": "Bearer " + hs256_token(claims(), key.public_pem()),
            "tampered payload": "Bearer " + _tamper(key.sign(claims())),
            "expired": "Bearer " + key.sign(claims(exp=int(time.time()) - 3600)),
            "nbf in the future": "Bearer " + key.sign(claims(nbf=int(time.time()) + 3600)),
            "wrong issuer": "Bearer " + key.sign(claims(iss="https://evil.example")),
            "wrong audience": "Bearer " + key.sign(claims(aud="https://evil.example")),
            "no subject": "Bearer " + key.sign(claims(sub=None)),
            "unknown kid": "Bearer " + key.sign(claims(), kid="never-published"),
        }

    @pytest.mark.parametrize(("method", "suffix", "body"), OPERATIONS)
    async def test_every_bad_token_is_401_on_every_operation_and_touches_nothing(
        self,
        clean_app: FastAPI,
        client: httpx.AsyncClient,
        use_verifier: Callable[[TokenVerifier], None],
        jwks_server: LoopbackJwksServer,
        jwks_http: httpx.AsyncClient,
        ed25519_key: SigningKey,
        count_units_of_work: Callable[[], int],
        method: str,
        suffix: str,
        body: dict[str, Any] | None,
    ) -> None:
        task = (await client.post(f"/api/v1/{ALICE}/tasks", json={"title": "keep"})).json()
        before = (await client.get(f"/api/v1/{ALICE}/tasks")).json()
        use_verifier(jwks_verifier(jwks_server.url, jwks_http))
        opened_before = count_units_of_work()
        url = f"/api/v1/{ALICE}/tasks" + suffix.format(task_id=task["id"])
        async with anonymous(clean_app) as caller:
            for case, authorization in self.bad_tokens(ed25519_key).items():
                headers = {} if authorization is None else {"Authorization": authorization}
                response = await caller.request(method, url, json=body, headers=headers)
                assert response.status_code == 401, (case, response.text)
                assert response.json()["code"] == "AUTH_FAILED", case
                challenge = response.headers["www-authenticate"]
                if case in {"no header", "wrong scheme"}:
                    assert challenge == "Bearer", case
                else:
                    assert challenge == 'Bearer error="invalid_token"', case
        assert count_units_of_work() == opened_before, "a refused request opened a transaction"
        assert (await client.get(f"/api/v1/{ALICE}/tasks")).json() == before

    @pytest.mark.parametrize(("method", "suffix", "body"), OPERATIONS)
    async def test_a_valid_token_for_another_path_user_is_403_before_any_read(
        self,
        client_for: Callable[[str], httpx.AsyncClient],
        count_units_of_work: Callable[[], int],
        method: str,
        suffix: str,
        body: dict[str, Any] | None,
    ) -> None:
        alice, bob = client_for(ALICE), client_for(BOB)
        task = (await alice.post(f"/api/v1/{ALICE}/tasks", json={"title": "private"})).json()
        opened_before = count_units_of_work()
        for task_id in (task["id"], str(uuid.uuid4())):  # same answer whether the task exists
            url = f"/api/v1/{ALICE}/tasks" + suffix.format(task_id=task_id)
            response = await bob.request(method, url, json=body)
            assert response.status_code == 403, response.text
            assert response.json()["code"] == "ACCESS_DENIED"
        assert count_units_of_work() == opened_before
        assert (await alice.get(f"/api/v1/{ALICE}/tasks/{task['id']}")).json() == task

    async def test_a_token_for_a_malformed_path_user_is_still_checked_first(
        self, clean_app: FastAPI
    ) -> None:
        async with anonymous(clean_app) as caller:
            response = await caller.get("/api/v1/bad user/tasks")
        assert response.status_code == 401


class TestAcceptance:
    async def test_whitespace_after_the_token_is_ignored(self, clean_app: FastAPI) -> None:
        # In process: the real server's parser may already strip it (tests/edge checks that).
        authorization = f"Bearer {token_for(ALICE)} \t "
        async with anonymous(clean_app) as caller:
            response = await caller.get(
                f"/api/v1/{ALICE}/tasks", headers={"Authorization": authorization}
            )
        assert response.status_code == 200, response.text

    @pytest.mark.parametrize("case", FIXTURES["cases"], ids=lambda c: c["jwt_plugin_alg"])
    async def test_captured_better_auth_tokens_are_accepted_at_capture_time(
        self,
        clean_app: FastAPI,
        use_verifier: Callable[[TokenVerifier], None],
        jwks_http: httpx.AsyncClient,
        case: dict[str, Any],
    ) -> None:
        with LoopbackJwksServer(case["jwks"]) as better_auth:
            use_verifier(
                fixture_verifier(better_auth.url, jwks_http, at=FIXTURES["captured_at_unix"])
            )
            user = case["user_id"]
            async with anonymous(clean_app) as caller:
                for token in (case["jwt_plugin_token"], case["session_data_cookie_token"]):
                    headers = {"Authorization": f"Bearer {token}"}
                    created = await caller.post(
                        f"/api/v1/{user}/tasks", json={"title": "real"}, headers=headers
                    )
                    assert created.status_code == 201, created.text
                    listed = await caller.get(f"/api/v1/{user}/tasks", headers=headers)
                    assert created.json() in listed.json()

    @pytest.mark.parametrize("case", FIXTURES["cases"], ids=lambda c: c["jwt_plugin_alg"])
    async def test_captured_tokens_are_refused_now_that_they_have_expired(
        self,
        clean_app: FastAPI,
        use_verifier: Callable[[TokenVerifier], None],
        jwks_http: httpx.AsyncClient,
        case: dict[str, Any],
    ) -> None:
        with LoopbackJwksServer(case["jwks"]) as better_auth:
            use_verifier(fixture_verifier(better_auth.url, jwks_http))
            async with anonymous(clean_app) as caller:
                for token in (case["jwt_plugin_token"], case["session_data_cookie_token"]):
                    response = await caller.get(
                        f"/api/v1/{case['user_id']}/tasks",
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    assert response.status_code == 401
                    assert response.json()["code"] == "AUTH_FAILED"

    async def test_jwks_unreachable_with_no_cached_key_is_503(
        self,
        clean_app: FastAPI,
        use_verifier: Callable[[TokenVerifier], None],
        jwks_http: httpx.AsyncClient,
    ) -> None:
        key = new_ed25519_key("unseen")
        server = LoopbackJwksServer({"keys": [key.public_jwk()]})
        url = server.url  # a port that nothing listens on: the server never starts
        use_verifier(jwks_verifier(url, jwks_http))
        async with anonymous(clean_app) as caller:
            response = await caller.get(
                f"/api/v1/{ALICE}/tasks", headers={"Authorization": f"Bearer {key.sign(claims())}"}
            )
        assert response.status_code == 503
        assert response.json()["code"] == "BACKEND_UNAVAILABLE"
        assert "retry-after" in response.headers

    async def test_public_endpoints_need_no_token(self, clean_app: FastAPI) -> None:
        async with anonymous(clean_app) as caller:
            assert (await caller.get("/health")).status_code == 200
            assert (await caller.get("/docs")).status_code == 200
            schema = (await caller.get("/openapi.json")).json()
        assert schema["components"]["securitySchemes"]["BetterAuthBearer"]["scheme"] == "bearer"
        for path, operations in schema["paths"].items():
            if path.startswith("/api/v1/"):
                for operation in operations.values():
                    assert {"401", "403"} <= set(operation["responses"]), path
                    assert operation["security"] == [{"BetterAuthBearer": []}]

    async def test_development_token_works_end_to_end(self, clean_app: FastAPI) -> None:
        async with anonymous(clean_app) as caller:
            response = await caller.get(
                f"/api/v1/{BOB}/tasks", headers={"Authorization": f"Bearer {token_for(BOB)}"}
            )
        assert response.status_code == 200


def _table_rows() -> list[Any]:
    """Issue 17's table: each credential form Better Auth 1.7.25 made, with its user."""
    cookies, rotation = FORMS_FIXTURE["cookie_cache"], FORMS_FIXTURE["rotation"]
    rows = [
        (f"cookie cache {name}", cookies[name]["session_data"], cookies[name]["user_id"])
        for name in ("compact", "jwe", "compact_https", "compact_chunked", "jwt_signed_by_jwks")
    ]
    # The old secret still opens its jwe cookie (as in Better Auth), and nothing else.
    before = rotation["before"]["jwe"]
    rows.append(("made before the rotation, jwe", before["session_data"], before["user_id"]))
    rows.append(("cookie cache jwt", cookies["jwt"]["session_data"], cookies["jwt"]["user_id"]))
    rows += [
        (f"jwt plugin {alg}", case["jwt_plugin_token"], case["user_id"])
        for alg, case in FORMS_FIXTURE["jwt_plugin"].items()
    ]
    rows.append(
        ("minted HS256", FORMS_FIXTURE["minted"]["token"], FORMS_FIXTURE["minted"]["user_id"])
    )
    return [pytest.param(token, user, id=name) for name, token, user in rows]


class TestBetterAuthForms:
    @pytest.fixture
    def forms_jwks(self) -> Iterator[LoopbackJwksServer]:
        """Better Auth's JWKS endpoint, publishing the keys of every fixture instance."""
        cases = [FORMS_FIXTURE["cookie_cache"]["jwt_signed_by_jwks"]]
        cases += FORMS_FIXTURE["jwt_plugin"].values()
        with LoopbackJwksServer({"keys": [k for c in cases for k in c["jwks"]["keys"]]}) as server:
            yield server

    @pytest.fixture
    def forms_verifier(
        self, forms_jwks: LoopbackJwksServer, jwks_http: httpx.AsyncClient
    ) -> TokenVerifier:
        """Configured as Better Auth was, with BETTER_AUTH_SECRETS="2:<new>,1:<old>"."""
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            better_auth_secrets=FORMS_FIXTURE["rotation"]["better_auth_secrets"],
            better_auth_url=FORMS_FIXTURE["base_url"],
        )
        return TokenVerifier(
            shared_secret=settings.shared_secret,
            retired_secrets=list(settings.retired_secrets.values()),
            jwks=JwksClient(forms_jwks.url, jwks_http, **jwks_limits()),
            issuer=settings.expected_issuer,
            audience=settings.expected_audience,
            clock=lambda: FORMS_FIXTURE["captured_at_unix"],
            **verifier_limits(),
        )

    @pytest.mark.parametrize(("token", "user"), _table_rows())
    async def test_each_form_is_200_for_its_user_and_403_on_another_users_path(
        self,
        clean_app: FastAPI,
        use_verifier: Callable[[TokenVerifier], None],
        forms_verifier: TokenVerifier,
        token: str,
        user: str,
    ) -> None:
        use_verifier(forms_verifier)
        headers = {"Authorization": f"Bearer {token}"}
        async with anonymous(clean_app) as caller:
            created = await caller.post(
                f"/api/v1/{user}/tasks", json={"title": "t"}, headers=headers
            )
            assert created.status_code == 201, created.text
            listed = await caller.get(f"/api/v1/{user}/tasks", headers=headers)
            assert listed.status_code == 200
            assert created.json() in listed.json()
            elsewhere = await caller.get(f"/api/v1/{ALICE}/tasks", headers=headers)
            assert elsewhere.status_code == 403
            assert elsewhere.json()["code"] == "ACCESS_DENIED"

    @pytest.mark.parametrize("strategy", ["compact", "jwt"])
    async def test_the_old_secrets_compact_and_jwt_cookies_are_401_after_the_rotation(
        self,
        clean_app: FastAPI,
        use_verifier: Callable[[TokenVerifier], None],
        forms_verifier: TokenVerifier,
        strategy: str,
    ) -> None:
        use_verifier(forms_verifier)
        case = FORMS_FIXTURE["rotation"]["before"][strategy]
        async with anonymous(clean_app) as caller:
            response = await caller.get(
                f"/api/v1/{case['user_id']}/tasks",
                headers={"Authorization": f"Bearer {case['session_data']}"},
            )
        assert response.status_code == 401
        assert response.json()["code"] == "AUTH_FAILED"

    @pytest.mark.parametrize(("token", "user"), _table_rows())
    async def test_each_form_is_401_at_the_real_time(
        self,
        clean_app: FastAPI,
        use_verifier: Callable[[TokenVerifier], None],
        forms_jwks: LoopbackJwksServer,
        jwks_http: httpx.AsyncClient,
        token: str,
        user: str,
    ) -> None:
        use_verifier(
            TokenVerifier(
                shared_secret=FORMS_FIXTURE["better_auth_secret"],
                retired_secrets=[FORMS_FIXTURE["rotation"]["old_secret"]],
                jwks=JwksClient(forms_jwks.url, jwks_http, **jwks_limits()),
                issuer=ISSUER,
                audience=ISSUER,
                **verifier_limits(),
            )
        )
        async with anonymous(clean_app) as caller:
            response = await caller.get(
                f"/api/v1/{user}/tasks", headers={"Authorization": f"Bearer {token}"}
            )
        assert response.status_code == 401
        assert response.json()["code"] == "AUTH_FAILED"


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    return f"{header}.{flipped}.{signature}"
