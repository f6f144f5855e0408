"""The secrets Better Auth signs with: BETTER_AUTH_SECRET, or every BETTER_AUTH_SECRETS entry."""

import hashlib
import hmac
from collections.abc import Sequence

from jwt import PyJWTError
from jwt.algorithms import HMACAlgorithm


class SharedSecrets:
    """The current secret first, then the older ones a rotation still accepts. A credential
    signed with any of them verifies; HMACs are tried in that order, so a current one (the
    usual case, and the benchmark's) costs one HMAC."""

    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets:
            raise ValueError("At least one shared secret is needed")
        self.values: tuple[str, ...] = tuple(secrets)
        self.hmac_keys: tuple[bytes, ...] = tuple(_hmac_key(secret) for secret in secrets)

    def signed_by_any(self, message: bytes, signature: bytes) -> bool:
        """True when `signature` is HMAC-SHA256 of `message` under one of the secrets."""
        return any(
            hmac.compare_digest(hmac.digest(key, message, hashlib.sha256), signature)
            for key in self.hmac_keys
        )


def _hmac_key(secret: str) -> bytes:
    if not secret:
        raise ValueError("The shared secret must not be empty")
    try:
        # Refuses secrets that look like PEM/JWK public keys (algorithm-confusion bait).
        key: bytes = HMACAlgorithm(HMACAlgorithm.SHA256).prepare_key(secret)
    except PyJWTError as error:
        raise ValueError(f"Unusable shared secret: {error}") from error
    return key
