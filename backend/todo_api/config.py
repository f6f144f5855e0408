"""Settings from the environment (and `.env`), validated once at start-up."""

import logging
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from todo_api.auth.shared_secrets import parse_better_auth_secrets
from todo_api.settings_display import database_url_passwords, mask_database_url

# Used only when ENVIRONMENT=development and no secret is configured; production refuses it.
DEVELOPMENT_SECRET = "development-secret-do-not-use-in-production-0000"  # noqa: S105 (public by design)
MIN_PRODUCTION_SECRET_LENGTH = 32
_PRODUCTION_SECRET_RULE = (
    f"at least {MIN_PRODUCTION_SECRET_LENGTH} characters and not the development default "
    "when ENVIRONMENT=production"
)
DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./todo.sqlite3"
MAX_PORT = 65535

logger = logging.getLogger(__name__)


def normalize_database_url(url: str) -> str:
    """Point any PostgreSQL or SQLite URL at the async driver this service uses; the query
    string (Neon's `sslmode`, `channel_binding`) is kept as is, for psycopg reads it."""
    scheme, separator, rest = url.strip().partition("://")
    scheme = scheme.lower() if separator else ""
    if scheme in {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg_async"}:
        return f"postgresql+psycopg://{rest}"
    if scheme in {"sqlite", "sqlite+aiosqlite"}:
        return f"sqlite+aiosqlite://{rest}"
    raise ValueError("DATABASE_URL must be a postgresql:// or sqlite:// URL")


def _is_production_secret(secret: str) -> bool:
    return secret != DEVELOPMENT_SECRET and len(secret) >= MIN_PRODUCTION_SECRET_LENGTH


class DatabaseSettings(BaseSettings):
    """What reaching and migrating the database needs, and nothing more: `todo-api migrate`
    and the Alembic environment read only these, so no auth rule stands in their way."""

    # hide_input_in_errors: a refused setting must not print a secret (or a database password).
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    environment: Literal["development", "production"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # JSON lines are for log collectors; development defaults to readable text.
    log_json: bool | None = None

    database_url: str = Field(default=DEFAULT_SQLITE_URL, repr=False)
    db_pool_size: int = Field(default=15, ge=1, le=100)
    # Overflow connections are closed when returned: under load each costs a new connection.
    db_max_overflow: int = Field(default=0, ge=0, le=100)
    db_pool_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    db_connect_timeout_seconds: int = Field(default=3, ge=1, le=60)
    # Stored as a default of the database role by `todo-api migrate` (db/role_defaults.py).
    db_statement_timeout_ms: int = Field(default=3000, ge=100, le=600_000)
    # Upper bound on one request's database work, even if the server stops answering; above
    # the statement timeout, so the server gives up on a slow statement first.
    db_request_timeout_seconds: float = Field(default=4.0, gt=0, le=120)
    # Off unless asked for: behind a transaction pooler the next transaction may run on a server
    # connection that never saw the PREPARE, and directly they save little (decision record 0038).
    db_prepared_statements: bool = False
    db_pool_recycle_seconds: int = Field(default=300, ge=10)
    # Also catches connections that died silently, at a round trip per checkout (db/engine.py).
    db_pool_pre_ping: bool = False
    db_retry_after_seconds: int = Field(default=2, ge=1, le=600)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _normalize_database_url(cls, value: str) -> str:
        url = normalize_database_url(value)
        try:
            port = make_url(url).port
        except (ArgumentError, ValueError):  # SQLAlchemy's words would quote the URL
            port = 0
        if port is not None and not 1 <= port <= MAX_PORT:
            raise ValueError(
                f"DATABASE_URL is not a valid URL: its port must be a number from 1 to {MAX_PORT}"
            )
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uses_prepared_statements(self) -> bool:
        return self.db_prepared_statements and not self.is_sqlite

    @property
    def shown_database_url(self) -> str:
        return mask_database_url(self.database_url)

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.environment == "production"

    def secret_values(self) -> list[str]:
        """Every secret held (SecretStr fields, database passwords), to scrub outside text."""
        values = [
            value.get_secret_value()
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr) and value.get_secret_value()
        ]
        return [*values, *database_url_passwords(self.database_url)]


class Settings(DatabaseSettings):
    # Also migrate PostgreSQL when the app starts, for hosts without a release step (a single
    # container). Off by default: `todo-api migrate` is the release step. SQLite always is.
    migrate_on_start: bool = False

    cors_origins: Annotated[list[str], NoDecode] = []
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=10 * 1024 * 1024)

    better_auth_secret: SecretStr | None = None
    # Secret rotation, in Better Auth's format: "2:<new>,1:<old>" (current first).
    better_auth_secrets: SecretStr | None = None
    better_auth_url: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    # No credential may claim a longer life: a leaked one stops working within this.
    max_credential_lifetime_seconds: int = Field(default=86400, ge=60)
    # Better Auth's `session.cookieCache.maxAge`: how long a jwe cookie from a retired secret
    # can still be one that Better Auth made before the rotation.
    cookie_cache_max_age_seconds: int = Field(default=300, ge=1)
    jwks_cache_ttl_seconds: int = Field(default=300, ge=10)
    jwks_min_refetch_interval_seconds: float = Field(default=10.0, ge=0)
    # One deadline for a whole JWKS fetch: connect, headers and body together.
    jwks_fetch_timeout_seconds: float = Field(default=3.0, gt=0, le=30)
    # Past their TTL, cached keys that cannot be refreshed verify for this much longer.
    jwks_max_stale_seconds: int = Field(default=86400, ge=0)

    # The request line plus headers, in bytes (431 past it): the longest credential fits with room.
    max_request_head_bytes: int = Field(default=32 * 1024, ge=8 * 1024, le=1024 * 1024)
    # For a whole request head (from connecting, or the last response), and any body pause.
    request_head_timeout_seconds: float = Field(default=10.0, gt=0, le=30)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("better_auth_url", "jwt_jwks_url", "jwt_issuer", "jwt_audience", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("better_auth_secrets")
    @classmethod
    def _check_secrets_format(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None  # Better Auth too ignores an empty BETTER_AUTH_SECRETS
        parse_better_auth_secrets(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _check_auth(self) -> "Settings":
        secret = self.better_auth_secret.get_secret_value() if self.better_auth_secret else None
        if self.environment == "production":
            if secret is not None and not _is_production_secret(secret):
                raise ValueError(f"BETTER_AUTH_SECRET must be {_PRODUCTION_SECRET_RULE}")
            if not all(_is_production_secret(listed) for listed in self._rotation_secrets.values()):
                raise ValueError(
                    f"Every BETTER_AUTH_SECRETS secret must be {_PRODUCTION_SECRET_RULE}"
                )
            if self.shared_secret is None and self.jwks_url is None:
                raise ValueError(
                    "ENVIRONMENT=production needs BETTER_AUTH_SECRET(S) or BETTER_AUTH_URL "
                    "(or JWT_JWKS_URL) to verify tokens"
                )
            if self.jwks_url is not None and None in (self.expected_issuer, self.expected_audience):
                raise ValueError(
                    "ENVIRONMENT=production with JWKS verification needs JWT_ISSUER and "
                    "JWT_AUDIENCE (or BETTER_AUTH_URL, from which both default)"
                )
        return self

    @property
    def shared_secret(self) -> str | None:
        """The secret in force (it signs what `todo-api token` mints); development falls back
        to a fixed, public one."""
        if self._rotation_secrets:
            return next(iter(self._rotation_secrets.values()))
        if self.better_auth_secret is not None:
            return self.better_auth_secret.get_secret_value()
        if self.environment == "development" and self.jwks_url is None:
            return DEVELOPMENT_SECRET
        return None

    @property
    def current_secret_version(self) -> int | None:
        """The version of the secret in force, when BETTER_AUTH_SECRETS names it."""
        return next(iter(self._rotation_secrets), None)

    @property
    def retired_secrets(self) -> dict[str, str]:
        """Older secrets, by name, as Better Auth combines them (create-context.ts): the rest of
        BETTER_AUTH_SECRETS, then BETTER_AUTH_SECRET when it is not listed (its legacy secret)."""
        listed = self._rotation_secrets
        if not listed:
            return {}
        retired = {str(version): secret for version, secret in list(listed.items())[1:]}
        legacy = self.better_auth_secret.get_secret_value() if self.better_auth_secret else None
        # Better Auth leaves out its public default secret; ours is the development one.
        if legacy and legacy != DEVELOPMENT_SECRET and legacy not in listed.values():
            retired["BETTER_AUTH_SECRET"] = legacy
        return retired

    def secret_values(self) -> list[str]:
        # Each BETTER_AUTH_SECRETS secret on its own too: a text may quote one, not the list.
        return [*super().secret_values(), *self._rotation_secrets.values()]

    @property
    def _rotation_secrets(self) -> dict[int, str]:
        if self.better_auth_secrets is None:
            return {}
        return parse_better_auth_secrets(self.better_auth_secrets.get_secret_value())

    @property
    def uses_development_secret(self) -> bool:
        return self.shared_secret == DEVELOPMENT_SECRET

    @property
    def _better_auth_base(self) -> str | None:
        return self.better_auth_url.rstrip("/") if self.better_auth_url else None

    @property
    def jwks_url(self) -> str | None:
        base = self._better_auth_base
        return self.jwt_jwks_url or (None if base is None else f"{base}/api/auth/jwks")

    @property
    def expected_issuer(self) -> str | None:
        return self.jwt_issuer or self._better_auth_base

    @property
    def expected_audience(self) -> str | None:
        return self.jwt_audience or self._better_auth_base
