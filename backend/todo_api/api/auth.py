"""Authentication: the bearer token becomes a Principal, once per request, or a 401."""

from fastapi import HTTPException, Request
from fastapi.openapi.models import HTTPBearer

from todo_api.auth.principal import Principal
from todo_api.auth.token_verifier import TokenVerifier
from todo_api.errors import AuthenticationFailed
from todo_api.schemas.problem import MISSING_TOKEN

# Documented in OpenAPI on every operation served by HeadFirstRoute (api/openapi.py).
# Not FastAPI's HTTPBearer dependency: it would be one more dependency resolved per request
# (specs/performance.md), and its missing-token answer would not be our problem body.
BEARER_SCHEME_NAME = "BetterAuthBearer"
BEARER_SCHEME = HTTPBearer(
    bearerFormat="JWT",
    description="A Better Auth token: the `better-auth.session_data` cookie value, a JWT from "
    "`/api/auth/token` (jwt plugin), or an HS256 JWT signed with BETTER_AUTH_SECRET. "
    "In development: `todo-api token <user_id>`.",
)


async def authenticate(request: Request) -> Principal:
    """The caller, from a token the app's verifier accepts; HeadFirstRoute calls it first."""
    credentials = [value for name, value in request.scope["headers"] if name == b"authorization"]
    if len(credentials) > 1:
        # Proxies and frameworks disagree on which one wins: refuse rather than guess.
        raise HTTPException(400, "Send one Authorization header, not several.")
    header = credentials[0].decode("latin-1") if credentials else ""
    scheme, _, token = header.partition(" ")
    token = token.strip(" \t")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed(MISSING_TOKEN.detail, token_sent=False)
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(token)
