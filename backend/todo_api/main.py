"""Application factory and lifespan: wires settings, database, auth and routes together."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from todo_api import __version__
from todo_api.api import health
from todo_api.api.docs import install_docs
from todo_api.api.middleware.body_limit import BodyLimitMiddleware
from todo_api.api.middleware.cors import ProblemCORSMiddleware
from todo_api.api.middleware.head import HeadMiddleware
from todo_api.api.middleware.request_context import REQUEST_ID_HEADER, RequestContextMiddleware
from todo_api.api.openapi import install_openapi
from todo_api.api.problems import install_problem_handlers
from todo_api.api.v1 import tasks
from todo_api.auth.verifier_from_settings import build_jwks_client, build_token_verifier
from todo_api.config import Settings
from todo_api.db.open_database import open_database
from todo_api.server.without_serve import warn_started_without_serve

API_DESCRIPTION = """
Tasks of the multi-user Todo application. Every task belongs to one Better Auth user;
every `/api/v1/{user_id}/tasks` request must carry that user's token.

Errors are `application/problem+json` with a stable `code` (see the `Problem` schema).
"""


def create_app(settings: Settings | None = None, *, started_by_serve: bool = False) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not started_by_serve:
            warn_started_without_serve(settings)
        async with (
            open_database(settings) as database,
            httpx.AsyncClient(timeout=settings.jwks_fetch_timeout_seconds) as http_client,
        ):
            app.state.database = database
            jwks = build_jwks_client(settings, http_client)
            app.state.token_verifier = build_token_verifier(settings, jwks)
            try:
                yield
            finally:
                if jwks is not None:
                    await jwks.aclose()

    app = FastAPI(
        title="Todo Task API",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # install_docs serves the docs UI without a CDN
        redoc_url=None,  # no ReDoc: its bundle loads a logo from a CDN (api/docs.py)
        # A trailing slash is 404: Starlette's redirect would build an absolute URL from the
        # request's Host header, which a client (or an attacker) chooses.
        redirect_slashes=False,
    )
    app.state.settings = settings
    install_problem_handlers(app, retry_after_seconds=settings.db_retry_after_seconds)
    install_openapi(app, max_body_bytes=settings.max_body_bytes)
    install_docs(app)
    app.include_router(health.router)
    app.include_router(tasks.router, prefix="/api/v1")
    # The earlier plan's unversioned paths keep working for old clients, out of the docs.
    app.include_router(tasks.router, prefix="/api", include_in_schema=False)

    if settings.cors_origins:
        app.add_middleware(
            ProblemCORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                REQUEST_ID_HEADER,
            ],
            expose_headers=["ETag", "Location", "Retry-After", "X-Total-Count", REQUEST_ID_HEADER],
        )
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(HeadMiddleware)
    return app
