"""The limits a TokenVerifier and a JwksClient take, at the defaults Settings gives them, so a
test that builds one names only the limit it is about: `jwks_limits() | {"max_stale_seconds": 60}`.
"""

from typing import TypedDict

from todo_api.config import Settings


class VerifierLimits(TypedDict):
    leeway_seconds: float
    max_lifetime_seconds: float
    cookie_max_age_seconds: float


class JwksLimits(TypedDict):
    cache_ttl_seconds: float
    min_refetch_interval_seconds: float
    fetch_deadline_seconds: float
    max_stale_seconds: float


def _default(setting: str) -> float:
    return float(Settings.model_fields[setting].default)


def verifier_limits() -> VerifierLimits:
    return VerifierLimits(
        leeway_seconds=_default("jwt_leeway_seconds"),
        max_lifetime_seconds=_default("max_credential_lifetime_seconds"),
        cookie_max_age_seconds=_default("cookie_cache_max_age_seconds"),
    )


def jwks_limits() -> JwksLimits:
    return JwksLimits(
        cache_ttl_seconds=_default("jwks_cache_ttl_seconds"),
        min_refetch_interval_seconds=_default("jwks_min_refetch_interval_seconds"),
        fetch_deadline_seconds=_default("jwks_fetch_timeout_seconds"),
        max_stale_seconds=_default("jwks_max_stale_seconds"),
    )
