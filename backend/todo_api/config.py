"""Settings from the environment (and `.env`), validated once at start-up."""

import logging
import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# Used only when ENVIRONMENT=development and no secret is configured; production refuses it.
DEVELOPMENT_SECRET = "development-secret-do-not-use-in-production-0000"  # noqa: S105 (public by design)
MIN_PRODUCTION_SECRET_LENGTH = 32
DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./todo.sqlite3"

logger = logging.getLogger(__name__)


def normalize_database_url(url: str) -> str:
    """Point any PostgreSQL or SQLite URL at the async driver this service uses.

    Neon hands out `postgres://...?sslmode=require&channel_binding=require`; the query string
    is kept as is, since psycopg understands both parameters.
    """
    scheme, separator, rest = url.strip().partition("://")
    scheme = scheme.lower()
    if not separator:
        raise ValueError("DATABASE_URL must be a postgresql:// or sqlite:// URL")
    if scheme in {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg_async"}:
        scheme = "postgresql+psycopg"
    elif scheme in {"sqlite", "sqlite+aiosqlite"}:
        scheme = "sqlite+aiosqlite"
    else:
        raise ValueError("DATABASE_URL must be a postgresql:// or sqlite:// URL")
    return f"{scheme}://{rest}"


# `scheme://user:password@host`: the password, wherever a URL appears in a message.
_URL_PASSWORD = re.compile(r"(?P<user>[a-z][a-z0-9+.-]*://[^:/@\s]*):[^@\s]*@", re.IGNORECASE)


def mask_database_url(url: str) -> str:
    """The URL as it may be shown (logs, errors, the CLI): its password replaced by `***`."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # not parseable as a URL: mask what looks like a password anyway
        return _URL_PASSWORD.sub(r"\g<user>:***@", url)


class DatabaseSettings(BaseSettings):
    """What reaching and migrating the database needs, and nothing more: `todo-api migrate`
    and the Alembic environment read only these, so no auth rule stands in their way."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    environment: Literal["development", "production"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # JSON lines are for log collectors; development defaults to readable text.
    log_json: bool | None = None

    database_url: str = Field(default=DEFAULT_SQLITE_URL, repr=False)
    db_pool_size: int = Field(default=15, ge=1, le=100)
    # Overflow connections are closed when returned: under sustained load each one costs a
    # new connection (and a server process), so requests queue for the pool instead.
    db_max_overflow: int = Field(default=0, ge=0, le=100)
    db_pool_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    db_connect_timeout_seconds: int = Field(default=3, ge=1, le=60)
    # In force on the server as a default of the database role (`todo-api migrate` sets it),
    # so that it holds through a transaction pooler, where a per-connection SET would not.
    db_statement_timeout_ms: int = Field(default=3000, ge=100, le=600_000)
    # Upper bound on one request's database work, even if the server stops answering; above
    # the statement timeout, so the server gives up on a slow statement first.
    db_request_timeout_seconds: float = Field(default=4.0, gt=0, le=120)
    # Server-side prepared statements, off unless asked for: behind a transaction pooler
    # (on any host and port) the next transaction may run on a server connection that never
    # saw the PREPARE, and on a direct connection they save little (specs/decisions.md).
    db_prepared_statements: bool = False
    db_pool_recycle_seconds: int = Field(default=300, ge=10)
    # Closed connections are always detected cheaply on checkout; a pre-ping round trip also
    # catches connections that died without the server saying so.
    db_pool_pre_ping: bool = False
    db_retry_after_seconds: int = Field(default=2, ge=1, le=600)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _normalize_database_url(cls, value: str) -> str:
        return normalize_database_url(value)

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
        """Every secret this configuration holds (SecretStr fields, the database password),
        for scrubbing text from outside (driver messages) before it is logged or printed."""
        values = [
            value.get_secret_value()
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr) and value.get_secret_value()
        ]
        try:
            password = make_url(self.database_url).password
        except ArgumentError:
            password = None
        if password:
            values.append(str(password))
        return values


class Settings(DatabaseSettings):
    # Also migrate PostgreSQL when the app starts, for hosts without a release step (a single
    # container). Off by default: `todo-api migrate` is the release step. SQLite always is.
    migrate_on_start: bool = False

    cors_origins: Annotated[list[str], NoDecode] = []
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=10 * 1024 * 1024)

    better_auth_secret: SecretStr | None = None
    better_auth_url: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    jwks_cache_ttl_seconds: int = Field(default=300, ge=10)
    jwks_min_refetch_interval_seconds: float = Field(default=10.0, ge=0)
    jwks_fetch_timeout_seconds: float = Field(default=3.0, gt=0, le=30)

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

    @model_validator(mode="after")
    def _check_auth(self) -> "Settings":
        secret = self.better_auth_secret.get_secret_value() if self.better_auth_secret else None
        if self.environment == "production":
            if secret is not None and (
                secret == DEVELOPMENT_SECRET or len(secret) < MIN_PRODUCTION_SECRET_LENGTH
            ):
                raise ValueError(
                    "BETTER_AUTH_SECRET must be at least 32 characters and not the development "
                    "default when ENVIRONMENT=production"
                )
            if secret is None and self.jwks_url is None:
                raise ValueError(
                    "ENVIRONMENT=production needs BETTER_AUTH_SECRET or BETTER_AUTH_URL "
                    "(or JWT_JWKS_URL) to verify tokens"
                )
        return self

    @property
    def shared_secret(self) -> str | None:
        """The HS256 secret in force; development falls back to a fixed, public one."""
        if self.better_auth_secret is not None:
            return self.better_auth_secret.get_secret_value()
        if self.environment == "development" and self.jwks_url is None:
            return DEVELOPMENT_SECRET
        return None

    @property
    def uses_development_secret(self) -> bool:
        return self.shared_secret == DEVELOPMENT_SECRET

    @property
    def jwks_url(self) -> str | None:
        if self.jwt_jwks_url:
            return self.jwt_jwks_url
        if self.better_auth_url:
            return self.better_auth_url.rstrip("/") + "/api/auth/jwks"
        return None

    @property
    def expected_issuer(self) -> str | None:
        return self.jwt_issuer or (
            self.better_auth_url.rstrip("/") if self.better_auth_url else None
        )

    @property
    def expected_audience(self) -> str | None:
        return self.jwt_audience or (
            self.better_auth_url.rstrip("/") if self.better_auth_url else None
        )


_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def without_pydantic_prefix(message: str) -> str:
    """pydantic prefixes what a validator raised with its own wording; readers need only ours."""
    for prefix in _PYDANTIC_PREFIXES:
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def describe_configuration_error(error: ValidationError) -> str:
    """One line per broken rule, naming the variable and the rule, never the value.

    pydantic's own text quotes the input (`input_value=...`): for a secret, or a
    DATABASE_URL with its password, that is the secret itself.
    """
    return "\n".join(_describe(error.errors(include_input=False, include_url=False)))


def _describe(errors: Iterable[Any]) -> Iterable[str]:
    for item in errors:
        variable = "_".join(str(part) for part in item["loc"]).upper()
        message = without_pydantic_prefix(str(item["msg"]))
        yield f"  {variable}: {message}" if variable else f"  {message}"
