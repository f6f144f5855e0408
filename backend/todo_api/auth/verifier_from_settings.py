"""The token verifier (and the JWKS client it may use) as the settings describe them."""

import logging

import httpx

from todo_api.auth.jwks import JwksClient
from todo_api.auth.token_verifier import TokenVerifier
from todo_api.config import Settings

logger = logging.getLogger(__name__)


def build_jwks_client(settings: Settings, http_client: httpx.AsyncClient) -> JwksClient | None:
    if settings.jwks_url is None:
        return None
    return JwksClient(
        settings.jwks_url,
        http_client,
        cache_ttl_seconds=settings.jwks_cache_ttl_seconds,
        min_refetch_interval_seconds=settings.jwks_min_refetch_interval_seconds,
        fetch_deadline_seconds=settings.jwks_fetch_timeout_seconds,
        max_stale_seconds=settings.jwks_max_stale_seconds,
    )


def build_token_verifier(settings: Settings, jwks: JwksClient | None) -> TokenVerifier:
    retired = settings.retired_secrets
    if settings.current_secret_version is not None:
        # Names and versions only, never a value.
        logger.info(
            "Better Auth secret version %s is current; retired (jwe session cookies only): %s",
            settings.current_secret_version,
            ", ".join(retired) or "none",
        )
    return TokenVerifier(
        shared_secret=settings.shared_secret,
        jwks=jwks,
        issuer=settings.expected_issuer,
        audience=settings.expected_audience,
        leeway_seconds=settings.jwt_leeway_seconds,
        max_lifetime_seconds=settings.max_credential_lifetime_seconds,
        cookie_max_age_seconds=settings.cookie_cache_max_age_seconds,
        retired_secrets=list(retired.values()),
    )
