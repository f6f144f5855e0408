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


def parse_better_auth_secrets(value: str) -> list[str]:
    """The secrets of `BETTER_AUTH_SECRETS` ("<version>:<secret>,...", current first), in order.

    Better Auth's own format and rules (context/secret-utils.ts): entries split on commas and
    trimmed, the version a non-negative integer unique in the list, the secret non-empty.
    Errors name the entry's position or version, never a secret.
    """
    secrets: list[str] = []
    versions: set[int] = set()
    for position, entry in enumerate(value.split(","), start=1):
        version, separator, secret = entry.strip().partition(":")
        if not separator or not version.strip().isdigit():
            raise ValueError(
                f'BETTER_AUTH_SECRETS entry {position} is not "<version>:<secret>" '
                "with a non-negative integer version"
            )
        if int(version) in versions:
            raise ValueError(f"BETTER_AUTH_SECRETS lists version {int(version)} twice")
        if not secret.strip():
            raise ValueError(f"BETTER_AUTH_SECRETS has an empty secret for version {int(version)}")
        versions.add(int(version))
        secrets.append(secret.strip())
    return secrets


def _hmac_key(secret: str) -> bytes:
    if not secret:
        raise ValueError("The shared secret must not be empty")
    try:
        # Refuses secrets that look like PEM/JWK public keys (algorithm-confusion bait).
        key: bytes = HMACAlgorithm(HMACAlgorithm.SHA256).prepare_key(secret)
    except PyJWTError as error:
        raise ValueError(f"Unusable shared secret: {error}") from error
    return key
