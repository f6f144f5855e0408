"""Authentication: the bearer token becomes a Principal, once per request, or a 401."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer

from todo_api.auth.principal import Principal
from todo_api.auth.token_verifier import TokenVerifier
from todo_api.errors import AuthenticationFailed

# Documented in OpenAPI on every operation that depends on `authenticate` (api/openapi.py).
# Not FastAPI's HTTPBearer dependency: one dependency less per request measured 6% fewer
# instructions per get, and its missing-token answer would not be our problem body.
BEARER_SCHEME_NAME = "BetterAuthBearer"
BEARER_SCHEME = HTTPBearer(
    bearerFormat="JWT",
    description="A Better Auth token: the `better-auth.session_data` cookie value, a JWT from "
    "`/api/auth/token` (jwt plugin), or an HS256 JWT signed with BETTER_AUTH_SECRET. "
    "In development: `todo-api token <user_id>`.",
)


async def authenticate(request: Request) -> Principal:
    """The caller, from a token the app's verifier (`app.state.token_verifier`) accepts.

    It declares no path parameter, so FastAPI runs it before it validates the path: an
    unauthenticated caller gets 401 whatever the path holds.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed(
            "Send a Better Auth token as 'Authorization: Bearer <token>'.", token_sent=False
        )
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(token)


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
