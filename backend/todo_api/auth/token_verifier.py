"""Turns a bearer credential from Better Auth into a Principal, or refuses it.

The credential's form is told by its shape before any cryptography, and one reader per form
verifies it:

| shape                      | form                                             | reader           |
|----------------------------|--------------------------------------------------|------------------|
| 1 segment                  | cookie cache, `compact` strategy (the default)   | compact_cookie   |
| 3 segments, `alg` HS256    | minted token; cookie cache, `jwt` strategy       | secret_jwt       |
| 3 segments, asymmetric alg | jwt() plugin token; `sessionCookieCache` cookie  | jwks_jwt         |
| 5 segments                 | cookie cache, `jwe` strategy                     | jwe_cookie       |
"""

import time
from collections.abc import Callable, Sequence

from todo_api.auth.claims import TimeRules
from todo_api.auth.compact_cookie import CompactCookieReader
from todo_api.auth.encoding import malformed, token_bytes
from todo_api.auth.jwe_cookie import JweCookieReader
from todo_api.auth.jwks import JwksClient
from todo_api.auth.jwks_jwt import JWKS_ALGORITHMS, JwksJwtReader
from todo_api.auth.jws import split_jws
from todo_api.auth.principal import Principal
from todo_api.auth.secret_jwt import SecretJwtReader
from todo_api.auth.shared_secrets import SharedSecret
from todo_api.errors import AuthenticationFailed

# Room for a large session's cookie cache, which Better Auth splits over several cookies.
MAX_TOKEN_LENGTH = 24 * 1024
SYMMETRIC_ALGORITHM = "HS256"


class TokenVerifier:
    """Every credential form of the table above. Without a shared secret only JWKS-signed
    tokens verify; without a JWKS client, none of those. `retired_secrets` only decrypt jwe
    cookies. Time claims are checked against the injectable clock (PyJWT's is the real one)."""

    def __init__(
        self,
        *,
        shared_secret: str | None,
        jwks: JwksClient | None,
        issuer: str | None,
        audience: str | None,
        leeway_seconds: float,
        max_lifetime_seconds: float,
        cookie_max_age_seconds: float,
        clock: Callable[[], float] = time.time,
        retired_secrets: Sequence[str] = (),
    ) -> None:
        if shared_secret is None and jwks is None:
            raise ValueError("TokenVerifier needs a shared secret, a JWKS client, or both")
        times = TimeRules(clock, leeway_seconds, max_lifetime_seconds)
        self._secret_jwt: SecretJwtReader | None = None
        self._compact_cookie: CompactCookieReader | None = None
        self._jwe_cookie: JweCookieReader | None = None
        if shared_secret is not None:
            secret = SharedSecret(shared_secret)
            self._secret_jwt = SecretJwtReader(secret, times, issuer=issuer, audience=audience)
            self._compact_cookie = CompactCookieReader(secret, times)
            self._jwe_cookie = JweCookieReader(
                shared_secret, retired_secrets, times, cookie_max_age_seconds=cookie_max_age_seconds
            )
        self._jwks_jwt = (
            None if jwks is None else JwksJwtReader(jwks, times, issuer=issuer, audience=audience)
        )

    async def verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthenticationFailed("The token is too long.")
        encoded = token_bytes(token)
        dots = encoded.count(b".")
        if dots == 2:
            jws = split_jws(encoded)
            algorithm = jws.header.get("alg")
            if not isinstance(algorithm, str):
                raise AuthenticationFailed("The token does not name a usable signing algorithm.")
            if algorithm == SYMMETRIC_ALGORITHM and self._secret_jwt is not None:
                return self._secret_jwt.read(jws)
            if algorithm in JWKS_ALGORITHMS and self._jwks_jwt is not None:
                return await self._jwks_jwt.read(jws, algorithm)
            raise AuthenticationFailed("The token's signing algorithm is not accepted.")
        if dots == 0 and self._compact_cookie is not None:
            return self._compact_cookie.read(encoded)
        if dots == 4 and self._jwe_cookie is not None:
            return self._jwe_cookie.read(encoded)
        raise malformed()
