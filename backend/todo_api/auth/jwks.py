"""Fetches and caches the public keys Better Auth's `jwt()` plugin publishes as a JWKS."""

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt import PyJWK, PyJWTError

from todo_api.errors import AuthenticationFailed, BackendUnavailable, DomainError

logger = logging.getLogger(__name__)

# A JWKS holds a handful of keys; a much larger answer is not a key set.
MAX_JWKS_BYTES = 256 * 1024

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
    """Async JWKS cache in front of Better Auth's endpoint.

    - A known kid is answered from the cache; past `cache_ttl_seconds` the set is refreshed in
      the background while cached keys keep verifying, for at most `max_stale_seconds` more
      (then 503 while the endpoint fails; the drop is logged once).
    - An unknown kid triggers a refetch, at most one per `min_refetch_interval_seconds`, so
      random kids cannot make us hammer Better Auth; every caller awaits the same fetch.
    - A fetch has one deadline and reads at most `MAX_JWKS_BYTES`; whatever goes wrong with it
      keeps the cached keys. The caller owns (and closes) `http_client`.
    """

    def __init__(
        self,
        url: str,
        http_client: httpx.AsyncClient,
        *,
        cache_ttl_seconds: float,
        min_refetch_interval_seconds: float,
        fetch_deadline_seconds: float,
        max_stale_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._http = http_client
        self._ttl = cache_ttl_seconds
        self._usable_for = cache_ttl_seconds + max_stale_seconds
        self._min_interval = min_refetch_interval_seconds
        self._deadline = fetch_deadline_seconds
        self._clock = clock
        self._keys: dict[str, VerificationKey] = {}
        self._fetched_at: float | None = None  # start of the last successful fetch
        self._attempted_at: float | None = None  # start of the last fetch, whatever its outcome
        self._last_fetch_failed = False
        self._fetch: asyncio.Task[None] | None = None  # the fetch in flight

    async def get_key(self, kid: str) -> VerificationKey:
        key = self._keys.get(kid)
        if key is not None:
            if self._age() < self._ttl:
                return key
            self._fetch_if_due()  # a stale key is good enough while the set refreshes
            if self._age() < self._usable_for:
                return key
            self._keys = {}  # logged here, so once: only a successful fetch brings keys back
            logger.error(
                "JWKS keys dropped, not refreshed for JWKS_MAX_STALE_SECONDS past their TTL: "
                "tokens signed with them are refused (503) until %s answers",
                self._url,
            )
        asked_at = self._clock()
        fetch = self._fetch_if_due()
        if fetch is not None:
            # Shielded: a caller that gives up (client gone) does not cancel it for the others.
            await asyncio.shield(fetch)
            key = self._keys.get(kid)
            if key is not None:
                return key
        raise self._unknown_key_error(asked_at)

    async def aclose(self) -> None:
        """End a fetch still in flight (at shutdown, before the HTTP client closes)."""
        if self._fetch is not None:
            self._fetch.cancel()
            await asyncio.gather(self._fetch, return_exceptions=True)

    def _unknown_key_error(self, asked_at: float) -> DomainError:
        if self._last_fetch_failed:
            message = "The authentication server's signing keys could not be fetched."
        elif self._fetched_at is not None and self._fetched_at >= asked_at:
            # Better Auth published its keys after this token reached us: the key is not one.
            return AuthenticationFailed("The token was signed with an unknown key.")
        else:
            # The last key set predates the token: its key may be one Better Auth made since.
            # 401 would sign the user out; 503 asks the client to retry once we may refetch.
            message = "The token's signing key is not known yet; retry shortly."
        assert self._attempted_at is not None  # get_key has just asked for a fetch
        next_fetch_at = self._attempted_at + self._min_interval  # when a retry can be answered
        return BackendUnavailable(
            message, retry_after_seconds=max(1, math.ceil(next_fetch_at - self._clock()))
        )

    def _age(self) -> float:
        return math.inf if self._fetched_at is None else self._clock() - self._fetched_at

    def _fetch_if_due(self) -> asyncio.Task[None] | None:
        """The fetch in flight, else a new one unless the last began too recently."""
        if self._fetch is None and (
            self._attempted_at is None or self._clock() - self._attempted_at >= self._min_interval
        ):
            self._attempted_at = self._clock()
            self._fetch = asyncio.create_task(self._refresh(started_at=self._attempted_at))
        return self._fetch

    async def _refresh(self, *, started_at: float) -> None:
        try:
            async with asyncio.timeout(self._deadline):
                keys = parse_jwks(await self._download())
        except Exception as error:
            # An untrusted document may break the parser in any way: a failed fetch, not a 500.
            self._last_fetch_failed = True
            logger.warning(
                "JWKS fetch from %s failed: %s %s",
                self._url,
                type(error).__name__,
                str(error)[:200],
            )
        else:
            self._keys = keys
            self._fetched_at = started_at
            self._last_fetch_failed = False
        finally:
            self._fetch = None

    async def _download(self) -> object:
        # Uncompressed: httpx inflates a whole received chunk before the count below sees it,
        # and a key set is too small for compression to save anything.
        headers = {"Accept": "application/json", "Accept-Encoding": "identity"}
        async with self._http.stream("GET", self._url, headers=headers) as response:
            if response.status_code != httpx.codes.OK:
                raise JwksFetchError(f"HTTP status {response.status_code}")
            body = bytearray()
            # Counted after decompression all the same, should a server compress regardless.
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise JwksFetchError(f"the key set is larger than {MAX_JWKS_BYTES} bytes")
        return json.loads(body)
