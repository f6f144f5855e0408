"""Authentication: the bearer token becomes a Principal, once per request, or a 401."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from todo_api.auth.principal import Principal
from todo_api.auth.token_verifier import TokenVerifier
from todo_api.errors import AuthenticationFailed

# auto_error=False: a missing token becomes our own 401 problem body, not FastAPI's.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="BetterAuthBearer",
    bearerFormat="JWT",
    description="A Better Auth token: the `better-auth.session_data` cookie value, a JWT from "
    "`/api/auth/token` (jwt plugin), or an HS256 JWT signed with BETTER_AUTH_SECRET. "
    "In development: `todo-api token <user_id>`.",
)


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller, from a token the app's verifier (`app.state.token_verifier`) accepts.

    It declares no path parameter, so FastAPI runs it before it validates the path: an
    unauthenticated caller gets 401 whatever the path holds.
    """
    if credentials is None:
        raise AuthenticationFailed(
            "Send a Better Auth token as 'Authorization: Bearer <token>'.", token_sent=False
        )
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
