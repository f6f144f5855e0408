"""The secret Better Auth signs with (BETTER_AUTH_SECRET, or BETTER_AUTH_SECRETS' first entry)."""

import hashlib
import hmac

from jwt import PyJWTError
from jwt.algorithms import HMACAlgorithm


class SharedSecret:
    """The secret in force. Better Auth signs its compact and jwt cookies and its HS256
    tokens with this secret alone, and verifies them with it alone: so does this service."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("The shared secret must not be empty")
        try:
            # Refuses secrets that look like PEM/JWK public keys (algorithm-confusion bait).
            self._hmac_key: bytes = HMACAlgorithm(HMACAlgorithm.SHA256).prepare_key(secret)
        except PyJWTError as error:
            raise ValueError(f"Unusable shared secret: {error}") from error

    def signed(self, message: bytes, signature: bytes) -> bool:
        """True when `signature` is HMAC-SHA256 of `message` under the secret."""
        expected = hmac.digest(self._hmac_key, message, hashlib.sha256)
        return hmac.compare_digest(expected, signature)


def parse_better_auth_secrets(value: str) -> dict[int, str]:
    """The secrets of `BETTER_AUTH_SECRETS` ("<version>:<secret>,...", current first) by
    version, in order, by Better Auth's own rules (context/secret-utils.ts). Errors name the
    entry's position or version, never a secret."""
    secrets: dict[int, str] = {}
    for position, entry in enumerate(value.split(","), start=1):
        version, separator, secret = entry.strip().partition(":")
        if not separator or not version.strip().isdigit():
            raise ValueError(
                f'BETTER_AUTH_SECRETS entry {position} is not "<version>:<secret>" '
                "with a non-negative integer version"
            )
        if int(version) in secrets:
            raise ValueError(f"BETTER_AUTH_SECRETS lists version {int(version)} twice")
        if not secret.strip():
            raise ValueError(f"BETTER_AUTH_SECRETS has an empty secret for version {int(version)}")
        secrets[int(version)] = secret.strip()
    return secrets
