"""Fetches and caches the public keys Better Auth's `jwt()` plugin publishes as a JWKS."""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt import PyJWK, PyJWTError

from todo_api.errors import AuthenticationFailed, BackendUnavailable

logger = logging.getLogger(__name__)

PublicKey = RSAPublicKey | EllipticCurvePublicKey | Ed25519PublicKey | Ed448PublicKey


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """One JWKS entry, parsed once per fetch so requests never re-parse key material."""

    kid: str
    public_key: PublicKey
    # The JWK's own `alg`, when it declares one: a token must then use exactly that algorithm.
    declared_algorithm: str | None


class JwksFetchError(Exception):
    """The JWKS endpoint did not give a usable key set."""


def parse_jwks(document: object) -> dict[str, VerificationKey]:
    """Keys by kid. Entries that are not public signing keys PyJWT can load are skipped."""
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise JwksFetchError("the response has no 'keys' list")
    keys: dict[str, VerificationKey] = {}
    for entry in entries:
        key = _parse_jwk(entry)
        if key is not None:
            keys.setdefault(key.kid, key)
    if not keys:
        # An empty set is far likelier a broken deployment than a real state: keep the old keys.
        raise JwksFetchError("the key set holds no usable signing key")
    return keys


def _parse_jwk(entry: object) -> VerificationKey | None:
    if not isinstance(entry, dict):
        return None
    kid, use, alg = entry.get("kid"), entry.get("use"), entry.get("alg")
    if not isinstance(kid, str) or not kid or use not in (None, "sig"):
        return None
    try:
        jwk = PyJWK(entry)
    except (PyJWTError, KeyError, TypeError, ValueError):
        logger.warning("Skipping a JWKS key PyJWT cannot load (kid %r)", kid[:64])
        return None
    # Private or symmetric (`oct`) material has no place in a JWKS: never use it to verify.
    if not isinstance(jwk.key, PublicKey):
        return None
    return VerificationKey(kid, jwk.key, alg if isinstance(alg, str) else None)


class JwksClient:
    """Async JWKS cache: refreshed after `cache_ttl_seconds`, or early when an unknown kid
    shows up, at most once per `min_refetch_interval_seconds` so random kids cannot make
    us hammer Better Auth. Concurrent callers share one fetch. The caller owns (and closes)
    `http_client`, and sets its timeouts.
    """

    def __init__(
        self,
        url: str,
        http_client: httpx.AsyncClient,
        *,
        cache_ttl_seconds: float = 300,
        min_refetch_interval_seconds: float = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._http = http_client
        self._ttl = cache_ttl_seconds
        self._min_interval = min_refetch_interval_seconds
        self._clock = clock
        self._keys: dict[str, VerificationKey] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last fetch, whatever its outcome
        self._last_fetch_failed = False
        self._lock = asyncio.Lock()

    async def get_key(self, kid: str) -> VerificationKey:
        key = self._keys.get(kid)
        # While another caller refreshes, a stale key is good enough: do not queue behind it.
        if key is not None and (self._is_fresh() or self._lock.locked()):
            return key
        async with self._lock:
            key = self._keys.get(kid)
            if key is not None and self._is_fresh():
                return key  # refreshed by the caller we waited for
            if self._may_fetch():
                await self._refresh()
            key = self._keys.get(kid)
            if key is not None:
                return key  # possibly stale, when the refresh failed
            if self._last_fetch_failed:
                raise BackendUnavailable(
                    "The authentication server's signing keys could not be fetched."
                )
            raise AuthenticationFailed("The token was signed with an unknown key.")

    def _is_fresh(self) -> bool:
        return self._fetched_at is not None and self._clock() - self._fetched_at < self._ttl

    def _may_fetch(self) -> bool:
        return (
            self._attempted_at is None or self._clock() - self._attempted_at >= self._min_interval
        )

    async def _refresh(self) -> None:
        self._attempted_at = self._clock()
        try:
            response = await self._http.get(self._url, headers={"Accept": "application/json"})
            if response.status_code != httpx.codes.OK:
                raise JwksFetchError(f"HTTP status {response.status_code}")
            keys = parse_jwks(response.json())
        except (httpx.HTTPError, ValueError, JwksFetchError) as error:
            self._last_fetch_failed = True
            logger.warning(
                "JWKS fetch from %s failed: %s", self._url, str(error) or type(error).__name__
            )
            return
        self._keys = keys
        self._fetched_at = self._clock()
        self._last_fetch_failed = False
