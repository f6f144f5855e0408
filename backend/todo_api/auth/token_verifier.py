"""Turns a bearer token from Better Auth into a Principal, or refuses it."""

import json
import math
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt import PyJWS, PyJWTError
from jwt.algorithms import Algorithm, get_default_algorithms

from todo_api.auth.jwks import JwksClient, PublicKey
from todo_api.auth.principal import Principal, is_valid_user_id
from todo_api.errors import AuthenticationFailed

MAX_TOKEN_LENGTH = 8 * 1024
SYMMETRIC_ALGORITHM = "HS256"
JWKS_ALGORITHMS = frozenset(
    {"EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
)
_EC_CURVE_BY_ALGORITHM = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
_ALGORITHMS: dict[str, Algorithm] = {
    name: algorithm
    for name, algorithm in get_default_algorithms().items()
    if name == SYMMETRIC_ALGORITHM or name in JWKS_ALGORITHMS
}


class TokenVerifier:
    """Verifies HS256 tokens signed with the shared secret and `jwt()` plugin tokens from JWKS.

    The algorithm is never taken on the header's word: HS256 is verified only with the shared
    secret, the asymmetric algorithms only with the JWKS key the `kid` names, and that key's
    type (and its own `alg`, if any) must fit the header's algorithm.

    Issuer and audience, when configured, are always required of JWKS tokens. HS256 tokens
    are held to them only for the claims they carry: Better Auth's `session_data` cookie has
    no `iss`/`aud`, and only holders of the shared secret can mint HS256 tokens anyway, but a
    frontend-minted token that does name an issuer or audience must name ours.

    Time claims are checked here against the injectable clock (PyJWT would use the real one).
    """

    def __init__(
        self,
        *,
        shared_secret: str | None,
        jwks: JwksClient | None,
        issuer: str | None,
        audience: str | None,
        leeway_seconds: float = 30,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if shared_secret is None and jwks is None:
            raise ValueError("TokenVerifier needs a shared secret, a JWKS client, or both")
        self._hmac_key = None if shared_secret is None else _prepare_hmac_key(shared_secret)
        self._jwks = jwks
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        self._clock = clock
        self._jws = PyJWS()

    async def verify(self, token: str) -> Principal:
        header, signing_input, payload, signature = self._split(token)
        algorithm = header.get("alg")
        if not isinstance(algorithm, str):
            raise AuthenticationFailed("The token does not name a usable signing algorithm.")
        key: bytes | PublicKey
        if algorithm == SYMMETRIC_ALGORITHM and self._hmac_key is not None:
            key, signed_by_jwks = self._hmac_key, False
        elif algorithm in JWKS_ALGORITHMS and self._jwks is not None:
            key, signed_by_jwks = await self._jwks_key(self._jwks, header, algorithm), True
        else:
            raise AuthenticationFailed("The token's signing algorithm is not accepted.")
        if not _signature_matches(_ALGORITHMS[algorithm], signing_input, key, signature):
            raise AuthenticationFailed("The token's signature is not valid.")
        claims = _parse_claims(payload)
        self._check_times(claims)
        self._check_issuer_and_audience(claims, signed_by_jwks=signed_by_jwks)
        return _principal_from(claims)

    def _split(self, token: str) -> tuple[dict[str, Any], bytes, bytes, bytes]:
        """Header, signing input, payload and signature, decoded but not yet trusted."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthenticationFailed("The token is too long.")
        try:
            token_bytes = token.encode("ascii")
            parts = self._jws.decode_complete(token_bytes, options={"verify_signature": False})
        except (UnicodeEncodeError, PyJWTError) as error:
            raise AuthenticationFailed("The token is malformed.") from error
        signing_input = token_bytes.rpartition(b".")[0]
        return parts["header"], signing_input, parts["payload"], parts["signature"]

    @staticmethod
    async def _jwks_key(jwks: JwksClient, header: dict[str, Any], algorithm: str) -> PublicKey:
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationFailed("The token does not name its signing key.")
        key = await jwks.get_key(kid)
        declared = key.declared_algorithm
        if (declared is not None and declared != algorithm) or not _key_fits(
            algorithm, key.public_key
        ):
            raise AuthenticationFailed("The token's algorithm does not match its signing key.")
        return key.public_key

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self._clock()
        expires_at = _numeric_date(claims, "exp")
        if expires_at is None:
            raise AuthenticationFailed("The token has no expiry time.")
        if expires_at <= now - self._leeway:
            raise AuthenticationFailed("The token has expired.")
        not_before = _numeric_date(claims, "nbf")
        if not_before is not None and not_before > now + self._leeway:
            raise AuthenticationFailed("The token is not valid yet.")
        issued_at = _numeric_date(claims, "iat")
        if issued_at is not None and issued_at > now + self._leeway:
            raise AuthenticationFailed("The token claims to be issued in the future.")

    def _check_issuer_and_audience(self, claims: dict[str, Any], *, signed_by_jwks: bool) -> None:
        checks_issuer = self._issuer is not None and (signed_by_jwks or "iss" in claims)
        if checks_issuer and claims.get("iss") != self._issuer:
            raise AuthenticationFailed("The token was issued by someone else.")
        if self._audience is not None and (signed_by_jwks or "aud" in claims):
            audience = claims.get("aud")
            audiences = [audience] if isinstance(audience, str) else audience
            if not isinstance(audiences, list) or self._audience not in audiences:
                raise AuthenticationFailed("The token is meant for another audience.")


def _prepare_hmac_key(shared_secret: str) -> bytes:
    if not shared_secret:
        raise ValueError("The shared secret must not be empty")
    try:
        # Refuses secrets that look like PEM/JWK public keys (algorithm-confusion bait).
        key: bytes = _ALGORITHMS[SYMMETRIC_ALGORITHM].prepare_key(shared_secret)
    except PyJWTError as error:
        raise ValueError(f"Unusable shared secret: {error}") from error
    return key


def _key_fits(algorithm: str, key: PublicKey) -> bool:
    if algorithm == "EdDSA":
        return isinstance(key, Ed25519PublicKey | Ed448PublicKey)
    if algorithm in _EC_CURVE_BY_ALGORITHM:
        return (
            isinstance(key, EllipticCurvePublicKey)
            and key.curve.name == _EC_CURVE_BY_ALGORITHM[algorithm]
        )
    return isinstance(key, RSAPublicKey)  # RS* and PS*


def _signature_matches(
    algorithm: Algorithm, signing_input: bytes, key: bytes | PublicKey, signature: bytes
) -> bool:
    try:
        # PyJWT's verifiers catch their own errors today; this keeps `verify` to one error type.
        return algorithm.verify(signing_input, key, signature)
    except (ValueError, TypeError):
        return False


def _parse_claims(payload: bytes) -> dict[str, Any]:
    try:
        claims = json.loads(payload)
    except (ValueError, RecursionError) as error:
        raise AuthenticationFailed("The token is malformed.") from error
    if not isinstance(claims, dict):
        raise AuthenticationFailed("The token is malformed.")
    return claims


def _numeric_date(claims: dict[str, Any], name: str) -> float | None:
    if name not in claims:
        return None
    value = claims[name]
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or (isinstance(value, float) and not math.isfinite(value)):
        raise AuthenticationFailed(f"The token's '{name}' claim is not a number.")
    number: float = value
    return number


def _principal_from(claims: dict[str, Any]) -> Principal:
    # Frontend-minted tokens carry `sub`; the session_data cookie only session.userId/user.id.
    session, user = _object(claims.get("session")), _object(claims.get("user"))
    candidates = (claims.get("sub"), session.get("userId"), user.get("id"))
    user_id = next((value for value in candidates if value is not None), None)
    if user_id is None:
        raise AuthenticationFailed("The token does not name a user.")
    if not is_valid_user_id(user_id):
        raise AuthenticationFailed("The token's user id is not valid.")
    return Principal(
        user_id=user_id,
        email=_first_string(claims.get("email"), user.get("email")),
        name=_first_string(claims.get("name"), user.get("name")),
    )


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first_string(*values: object) -> str | None:
    return next((value for value in values if isinstance(value, str)), None)
