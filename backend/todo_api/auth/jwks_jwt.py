"""JWTs signed with a key from Better Auth's JWKS: `jwt()` plugin tokens, and the session cookie
that `jwt({ sessionCookieCache: true })` signs, told apart by that cookie's own `typ`."""

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import Algorithm, get_default_algorithms

from todo_api.auth.claims import TimeRules, check_audience, check_issuer
from todo_api.auth.cookie_cache import principal_from_session_cache
from todo_api.auth.jwks import JwksClient, PublicKey
from todo_api.auth.jws import Jws
from todo_api.auth.principal import Principal, principal_from_subject
from todo_api.errors import AuthenticationFailed

JWKS_ALGORITHMS = frozenset(
    {"EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
)
# Better Auth's names for the session cookie it signs with the JWKS key (cookies/jwt.ts).
SESSION_CACHE_TYPE = "better-auth.session-cache+jwt"
SESSION_CACHE_AUDIENCE = "better-auth:session-cache"
# A session credential says it is a plain JWT or says nothing; any other type (an OAuth access
# token's `at+jwt`, a logout token's) is another credential signed with the same keys.
_SESSION_TYPES = (None, "JWT", SESSION_CACHE_TYPE)

_EC_CURVE_BY_ALGORITHM = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
_ALGORITHMS: dict[str, Algorithm] = {
    name: algorithm
    for name, algorithm in get_default_algorithms().items()
    if name in JWKS_ALGORITHMS
}


@dataclass(frozen=True, slots=True)
class JwksJwtReader:
    """The algorithm is never taken on the header's word: only the JWKS key the `kid` names
    verifies, and that key's type (and its own `alg`, if any) must fit the header's algorithm.
    Plugin tokens must name our issuer and audience (when configured) and their user in `sub`.
    The session cookie instead carries Better Auth's fixed audience, our issuer, and the
    cookie-cache payload, whose `user.id` must be its `sub` and `session.token` its `sid`."""

    jwks: JwksClient
    times: TimeRules
    issuer: str | None
    audience: str | None

    async def read(self, jws: Jws, algorithm: str) -> Principal:
        if jws.header.get("typ") not in _SESSION_TYPES:
            raise AuthenticationFailed("The token's type is not accepted.")
        key = await self._key(jws.header, algorithm)
        if not _signature_matches(_ALGORITHMS[algorithm], jws, key):
            raise AuthenticationFailed("The token's signature is not valid.")
        claims = jws.claims()
        self.times.check_jwt_times(claims)
        if jws.header.get("typ") == SESSION_CACHE_TYPE:
            return self._session_cookie_principal(claims)
        if self.issuer is not None:
            check_issuer(claims, self.issuer)
        if self.audience is not None:
            check_audience(claims, self.audience)
        return principal_from_subject(claims)

    def _session_cookie_principal(self, claims: dict[str, Any]) -> Principal:
        check_audience(claims, SESSION_CACHE_AUDIENCE)
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise AuthenticationFailed("The token was issued by someone else.")
        if self.issuer is not None:
            check_issuer(claims, self.issuer)
        principal = principal_from_session_cache(claims, self.times)
        session: dict[str, Any] = claims["session"]  # a dict: the line above checked it
        if claims.get("sub") != principal.user_id or claims.get("sid") != session.get("token"):
            raise AuthenticationFailed("The session cookie does not match its session.")
        return principal

    async def _key(self, header: dict[str, Any], algorithm: str) -> PublicKey:
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationFailed("The token does not name its signing key.")
        key = await self.jwks.get_key(kid)
        declared = key.declared_algorithm
        if (declared is not None and declared != algorithm) or not _key_fits(
            algorithm, key.public_key
        ):
            raise AuthenticationFailed("The token's algorithm does not match its signing key.")
        return key.public_key


def _key_fits(algorithm: str, key: PublicKey) -> bool:
    if algorithm == "EdDSA":
        return isinstance(key, Ed25519PublicKey | Ed448PublicKey)
    if algorithm in _EC_CURVE_BY_ALGORITHM:
        return (
            isinstance(key, EllipticCurvePublicKey)
            and key.curve.name == _EC_CURVE_BY_ALGORITHM[algorithm]
        )
    return isinstance(key, RSAPublicKey)  # RS* and PS*


def _signature_matches(algorithm: Algorithm, jws: Jws, key: PublicKey) -> bool:
    try:
        # PyJWT's verifiers catch their own errors today; this keeps `read` to one error type.
        return algorithm.verify(jws.signing_input, key, jws.signature)
    except (ValueError, TypeError):
        return False
