"""Authentication and path authorization, enforced once for the whole task router."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from todo_api.api.deps import UserIdPath
from todo_api.auth.principal import Principal
from todo_api.auth.token_verifier import TokenVerifier
from todo_api.errors import AccessDenied, AuthenticationFailed

# auto_error=False: a missing token becomes our own 401 problem body, not FastAPI's.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="BetterAuthBearer",
    bearerFormat="JWT",
    description="A Better Auth token: the `better-auth.session_data` cookie value, a JWT from "
    "`/api/auth/token` (jwt plugin), or an HS256 JWT signed with BETTER_AUTH_SECRET. "
    "In development: `todo-api token <user_id>`.",
)


async def get_token_verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier


async def authenticate(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    verifier: Annotated[TokenVerifier, Depends(get_token_verifier)],
) -> Principal:
    if credentials is None:
        raise AuthenticationFailed(
            "Send a Better Auth token as 'Authorization: Bearer <token>'.", token_sent=False
        )
    return await verifier.verify(credentials.credentials)


async def authorize_path_user(
    principal: Annotated[Principal, Depends(authenticate)], user_id: UserIdPath
) -> Principal:
    """The caller may only act on their own path; decided before any task is read."""
    if principal.user_id != user_id:
        raise AccessDenied()
    return principal


CurrentUser = Annotated[Principal, Depends(authorize_path_user)]
