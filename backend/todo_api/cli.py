"""`todo-api`: serve the API, migrate the database, mint a development token, print OpenAPI."""

import argparse
import asyncio
import gc
import ipaddress
import json
import logging
import os
import signal
import sys
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import uvicorn
from fastapi import APIRouter, FastAPI
from pydantic import ValidationError

from todo_api.auth.development_token import mint_development_token
from todo_api.config import MAX_PORT, DatabaseSettings, Settings
from todo_api.db.engine import create_engine
from todo_api.db.failure_cause import diagnose, one_line
from todo_api.db.migrations import migrate_database
from todo_api.db.schema_state import packaged_revisions
from todo_api.logging_setup import configure_logging
from todo_api.main import create_app
from todo_api.server.uvicorn_internals import unsupported_uvicorn
from todo_api.settings_display import describe_configuration_error

logger = logging.getLogger("todo_api")

SettingsType = TypeVar("SettingsType", bound=DatabaseSettings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="todo-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API with uvicorn")
    # Defaults from the environment, because container hosts say where to listen through
    # PORT, and an image's exec-form command cannot expand variables itself.
    serve.add_argument(
        "--host",
        default=os.environ.get("HOST") or "127.0.0.1",
        help="address to listen on (default: $HOST, else 127.0.0.1; 0.0.0.0 for every interface)",
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=os.environ.get("PORT") or "8000",
        help="port to listen on (default: $PORT, else 8000)",
    )
    serve.add_argument("--workers", type=int, default=1)

    migrate = commands.add_parser(
        "migrate",
        help="apply every pending migration and the role's limits (needs only DATABASE_URL)",
    )
    migrate.add_argument("--verbose", action="store_true", help="a failure's full traceback")

    token = commands.add_parser("token", help="print a development token for USER_ID")
    token.add_argument("user_id")
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")

    commands.add_parser("openapi", help="print the OpenAPI document")

    args = parser.parse_args(argv)
    if args.command == "migrate":
        # A migration uses no auth setting, so production's auth rules do not stop it.
        database_settings = _load(DatabaseSettings)
        return 2 if database_settings is None else _migrate(database_settings, args.verbose)
    settings = _load(Settings)
    if settings is None:
        return 2

    if args.command == "serve":
        return _serve(settings, args.host, args.port, args.workers)
    if args.command == "token":
        return _print_token(settings, args.user_id, args.ttl)
    print(json.dumps(create_app(settings).openapi(), indent=2, sort_keys=True))
    return 0


def _load(kind: type[SettingsType]) -> SettingsType | None:
    try:
        return kind()
    except ValidationError as error:
        print(f"invalid configuration:\n{describe_configuration_error(error)}", file=sys.stderr)
        return None


def _port(value: str) -> int:
    """A TCP port, from --port or from PORT (argparse converts a string default through here)."""
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(
            f"not a TCP port (1-{MAX_PORT}): {value!r} (from --port or PORT)"
        )
    return port


def _serve(settings: Settings, host: str, port: int, workers: int) -> int:
    if (unsupported := unsupported_uvicorn()) is not None:
        print(f"todo-api serve: {unsupported}", file=sys.stderr)
        return 2
    if settings.uses_development_secret and not _is_loopback(host):
        print(
            f"todo-api serve: refusing to listen on {host} with the public development secret; "
            "set BETTER_AUTH_SECRET (or listen on 127.0.0.1)",
            file=sys.stderr,
        )
        return 2
    log_config = configure_logging(settings.log_level, json_lines=settings.json_logs)
    if settings.uses_development_secret:
        logger.warning(
            "DEVELOPMENT SECRET IN USE: tokens are signed with a public, fixed secret. "
            "Set BETTER_AUTH_SECRET (and ENVIRONMENT=production) before exposing this service."
        )
    if settings.environment == "development" and settings.shared_secret is not None:
        logger.info("get a token for curl: %s token <user_id>", _this_command())
    # uvicorn re-raises the SIGTERM it handled once it has shut down cleanly; with the default
    # handler that would turn a clean stop into exit status -15.
    signal.signal(signal.SIGTERM, lambda *_: None)
    uvicorn.run(
        "todo_api.cli:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config,  # applied again in each worker process
        access_log=False,  # the app logs each request itself, with its request id
        proxy_headers=True,
        # Head size and time limits, Host required (by import string: each worker builds it).
        http="todo_api.server.http_protocol:BoundedHttpProtocol",
        server_header=False,  # no `Server: uvicorn`
        timeout_graceful_shutdown=15,
    )
    return 0


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def create_served_app(settings: Settings | None = None) -> FastAPI:
    """The app as `serve` runs it: bounded protocol, the service's logging, a tuned process."""
    app = create_app(settings, started_by_serve=True)
    app.include_router(APIRouter(lifespan=_tune_garbage_collector))  # after the app's start-up
    return app


@asynccontextmanager
async def _tune_garbage_collector(_: FastAPI) -> AsyncIterator[None]:
    # What start-up loaded lives as long as the process: frozen, full collections skip it. A page
    # of tasks allocates more objects than the default thresholds let pass between collections.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    yield


def _this_command() -> str:
    """How this process was started (`.venv/bin/todo-api` in a checkout), for a pastable hint."""
    started_as = sys.argv[0] if sys.argv else ""
    return started_as if Path(started_as).name == "todo-api" else "todo-api"


def _migrate(settings: DatabaseSettings, verbose: bool) -> int:
    print(f"migrating {settings.shown_database_url}")
    try:
        applied = asyncio.run(migrate_database(create_engine(settings), settings))
    except Exception as error:
        if verbose:
            traceback.print_exc()
        secrets = settings.secret_values()
        problem = diagnose(error, secrets)
        cause = (
            problem.describe() if problem else one_line(f"{type(error).__name__}: {error}", secrets)
        )
        print(f"todo-api migrate failed: {cause}", file=sys.stderr)
        return 1
    for revision in applied:
        print(f"applied {revision}")
    if not applied:
        heads = ", ".join(sorted(packaged_revisions().heads))
        print(f"no migration needed: the database is at {heads}, the latest")
    if not settings.is_sqlite:
        print("stored the role's limits (statement_timeout, idle_in_transaction_session_timeout)")
    return 0


def _print_token(settings: Settings, user_id: str, ttl_seconds: int) -> int:
    secret = settings.shared_secret
    if secret is None:
        print("no shared secret configured (BETTER_AUTH_SECRET)", file=sys.stderr)
        return 2
    if ttl_seconds > settings.max_credential_lifetime_seconds:
        print(
            "todo-api token: --ttl is longer than MAX_CREDENTIAL_LIFETIME_SECONDS allows",
            file=sys.stderr,
        )
        return 2
    try:
        print(mint_development_token(secret, user_id, ttl_seconds=ttl_seconds))
    except ValueError as error:  # a user id or lifetime the API would refuse
        print(f"todo-api token: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
