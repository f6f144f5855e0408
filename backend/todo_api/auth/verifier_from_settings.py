"""The token verifier (and the JWKS client it may use) as the settings describe them."""

import httpx

from todo_api.auth.jwks import JwksClient
from todo_api.auth.token_verifier import TokenVerifier
from todo_api.config import Settings


def build_jwks_client(settings: Settings, http_client: httpx.AsyncClient) -> JwksClient | None:
    if settings.jwks_url is None:
        return None
    return JwksClient(
        settings.jwks_url,
        http_client,
        cache_ttl_seconds=settings.jwks_cache_ttl_seconds,
        min_refetch_interval_seconds=settings.jwks_min_refetch_interval_seconds,
        fetch_deadline_seconds=settings.jwks_fetch_timeout_seconds,
    )


def build_token_verifier(settings: Settings, jwks: JwksClient | None) -> TokenVerifier:
    return TokenVerifier(
        shared_secret=settings.shared_secret,
        jwks=jwks,
        issuer=settings.expected_issuer,
        audience=settings.expected_audience,
        leeway_seconds=settings.jwt_leeway_seconds,
        previous_secrets=settings.previous_secrets,
    )
