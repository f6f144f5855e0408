"""The session cookie cache of `cookieCache: { strategy: "jwe" }`: a JWE (`dir`,
`A256CBC-HS512`) whose key Better Auth derives from its secret with HKDF-SHA256."""

from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from todo_api.auth.claims import TimeRules
from todo_api.auth.cookie_cache import principal_from_session_cache
from todo_api.auth.encoding import decode_segment, json_object
from todo_api.auth.principal import Principal
from todo_api.errors import AuthenticationFailed

# Better Auth's crypto/jwt.ts: symmetricEncodeJWT(payload, secret, "better-auth-session").
_SALT = b"better-auth-session"
_INFO = b"BetterAuth.js Generated Encryption Key"
_KEY_BYTES = 64  # A256CBC-HS512 takes a 512-bit key
_ALGORITHMS = ("dir", "A256CBC-HS512")
_REGISTRY = jwe.JWERegistry(algorithms=_ALGORITHMS)  # only these two are ever used


def derive_session_key(secret: str) -> OctKey:
    """The content key Better Auth encrypts the cookie with, for one secret."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=_SALT, info=_INFO)
    return OctKey.import_key(hkdf.derive(secret.encode()))


class JweCookieReader:
    """Decrypted by joserfc, never by hand. As Better Auth does, the key is chosen by the
    header's `kid` (the RFC 7638 thumbprint of the derived key), an unknown `kid` is refused,
    and a cookie without a `kid` is tried with each secret, current first. Retired secrets open
    only this form, as in Better Auth, and only a cookie that expires within the cookie cache's
    lifetime: one made before the rotation, not one forged to last."""

    def __init__(
        self,
        current: str,
        retired: Sequence[str],
        times: TimeRules,
        *,
        cookie_max_age_seconds: float,
    ) -> None:
        self._keys = tuple(derive_session_key(secret) for secret in (current, *retired))
        self._current_key = self._keys[0]
        self._keys_by_kid = {key.thumbprint(): key for key in reversed(self._keys)}
        self._times = times
        self._retired_horizon = cookie_max_age_seconds + times.leeway_seconds

    def read(self, token: bytes) -> Principal:
        header = json_object(decode_segment(token.partition(b".")[0]))
        if (header.get("alg"), header.get("enc")) != _ALGORITHMS or "zip" in header:
            raise AuthenticationFailed("The token's encryption algorithm is not accepted.")
        kid = header.get("kid")
        if kid is None:
            candidates = self._keys
        elif isinstance(kid, str) and kid in self._keys_by_kid:
            candidates = (self._keys_by_kid[kid],)
        else:
            raise AuthenticationFailed("The token was encrypted with an unknown key.")
        key, plaintext = self._decrypt(token, candidates)
        claims = json_object(plaintext)
        self._times.check_jwt_times(claims)
        if key is not self._current_key and claims["exp"] > (
            self._times.clock() + self._retired_horizon
        ):
            raise AuthenticationFailed(
                "The token was encrypted with a retired secret and outlives the cookie cache."
            )
        return principal_from_session_cache(claims, self._times)

    @staticmethod
    def _decrypt(token: bytes, candidates: Sequence[OctKey]) -> tuple[OctKey, bytes]:
        for key in candidates:
            try:
                plaintext = jwe.decrypt_compact(token, key, registry=_REGISTRY).plaintext
            except (JoseError, ValueError, TypeError):
                continue
            if plaintext is not None:
                return key, plaintext
        raise AuthenticationFailed("The token could not be decrypted.")
