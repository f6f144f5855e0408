"""Settings: URL normalisation and the production safety rules."""

import pytest
from pydantic import ValidationError

from todo_api.config import DEVELOPMENT_SECRET, Settings, normalize_database_url
from todo_api.settings_display import describe_configuration_error


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgres://u:p@ep-x.neon.tech/db?sslmode=require&channel_binding=require",
            "postgresql+psycopg://u:p@ep-x.neon.tech/db?sslmode=require&channel_binding=require",
        ),
        ("postgresql://u@localhost:5432/db", "postgresql+psycopg://u@localhost:5432/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///./todo.sqlite3", "sqlite+aiosqlite:///./todo.sqlite3"),
        ("sqlite:////tmp/abs.sqlite3", "sqlite+aiosqlite:////tmp/abs.sqlite3"),
    ],
)
def test_database_urls_are_pointed_at_the_async_drivers(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected
    assert settings(database_url=given).database_url == expected


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url", ""])
def test_other_databases_are_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        settings(database_url=url)


def test_development_falls_back_to_the_development_secret() -> None:
    config = settings()
    assert config.shared_secret == DEVELOPMENT_SECRET
    assert config.uses_development_secret
    assert config.is_sqlite


@pytest.mark.parametrize("secret", [DEVELOPMENT_SECRET, "short-secret"])
def test_production_refuses_weak_secrets(secret: str) -> None:
    with pytest.raises(ValidationError, match="BETTER_AUTH_SECRET"):
        settings(environment="production", better_auth_secret=secret)


NEW_SECRET = "new-secret-" + "n" * 32
OLD_SECRET = "old-secret-" + "o" * 32


def test_better_auth_secrets_put_the_current_secret_first_then_the_retired_ones() -> None:
    config = settings(better_auth_secrets=f" 3:{NEW_SECRET} , 2:{OLD_SECRET},1:third-one")
    assert config.shared_secret == NEW_SECRET
    assert config.current_secret_version == 3
    assert config.retired_secrets == {"2": OLD_SECRET, "1": "third-one"}
    assert not config.uses_development_secret
    assert settings(better_auth_secret=NEW_SECRET).current_secret_version is None


def test_better_auth_secret_beside_better_auth_secrets_is_the_legacy_retired_secret() -> None:
    # As Better Auth does: BETTER_AUTH_SECRETS rules, BETTER_AUTH_SECRET is the oldest.
    config = settings(
        better_auth_secret="legacy-" + "l" * 32, better_auth_secrets=f"2:{NEW_SECRET}"
    )
    assert config.shared_secret == NEW_SECRET
    assert config.retired_secrets == {"BETTER_AUTH_SECRET": "legacy-" + "l" * 32}
    listed = settings(
        better_auth_secret=OLD_SECRET, better_auth_secrets=f"2:{NEW_SECRET},1:{OLD_SECRET}"
    )
    assert listed.retired_secrets == {"1": OLD_SECRET}
    development = settings(
        better_auth_secret=DEVELOPMENT_SECRET, better_auth_secrets=f"2:{NEW_SECRET}"
    )
    assert development.retired_secrets == {}


def test_production_with_jwks_needs_an_issuer_and_an_audience() -> None:
    jwks_only = {"environment": "production", "jwt_jwks_url": "https://auth.example.com/jwks"}
    for given in ({}, {"jwt_issuer": "https://auth.example.com"}, {"jwt_audience": "api"}):
        with pytest.raises(ValidationError, match="JWT_ISSUER and JWT_AUDIENCE") as refusal:
            settings(**jwks_only, **given)
        assert "BETTER_AUTH_URL" in describe_configuration_error(refusal.value)
    both = settings(**jwks_only, jwt_issuer="https://auth.example.com", jwt_audience="api")
    assert (both.expected_issuer, both.expected_audience) == ("https://auth.example.com", "api")
    from_url = settings(environment="production", better_auth_url="https://app.example.com/")
    assert from_url.expected_issuer == from_url.expected_audience == "https://app.example.com"
    assert settings(jwt_jwks_url="https://auth.example.com/jwks").expected_issuer is None


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_better_auth_secrets_is_unset(blank: str) -> None:
    assert settings(better_auth_secrets=blank).shared_secret == DEVELOPMENT_SECRET


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("just-a-secret", "entry 1"),
        (f"2:{NEW_SECRET},{OLD_SECRET}", "entry 2"),
        (f"v2:{NEW_SECRET}", "entry 1"),
        (f"-1:{NEW_SECRET}", "entry 1"),
        (f"2:{NEW_SECRET},2:{OLD_SECRET}", "version 2 twice"),
        (f"2:{NEW_SECRET},1: ", "empty secret for version 1"),
        (f"2:{NEW_SECRET},", "entry 2"),
    ],
)
def test_malformed_better_auth_secrets_are_refused_without_printing_them(
    value: str, complaint: str
) -> None:
    with pytest.raises(ValidationError, match=complaint) as refusal:
        settings(better_auth_secrets=value)
    assert "secret-" not in str(refusal.value)


@pytest.mark.parametrize("weak", [DEVELOPMENT_SECRET, "short-secret"])
@pytest.mark.parametrize("position", [0, 1])
def test_production_applies_the_secret_rules_to_every_listed_secret(
    weak: str, position: int
) -> None:
    secrets = [NEW_SECRET, OLD_SECRET]
    secrets[position] = weak
    value = ",".join(f"{2 - index}:{secret}" for index, secret in enumerate(secrets))
    with pytest.raises(ValidationError, match="BETTER_AUTH_SECRETS") as refusal:
        settings(environment="production", better_auth_secrets=value)
    assert weak not in str(refusal.value)
    assert settings(environment="production", better_auth_secrets=f"2:{NEW_SECRET},1:{OLD_SECRET}")


def test_production_needs_some_way_to_verify_tokens() -> None:
    with pytest.raises(ValidationError, match="BETTER_AUTH_URL"):
        settings(environment="production")
    jwks_only = settings(environment="production", better_auth_url="https://app.example.com/")
    assert jwks_only.shared_secret is None
    assert jwks_only.jwks_url == "https://app.example.com/api/auth/jwks"
    assert jwks_only.expected_issuer == jwks_only.expected_audience == "https://app.example.com"


def test_explicit_jwt_settings_override_the_better_auth_url() -> None:
    config = settings(
        better_auth_url="https://app.example.com",
        jwt_jwks_url="https://keys.example.com/jwks",
        jwt_issuer="issuer",
        jwt_audience="audience",
    )
    assert (config.jwks_url, config.expected_issuer, config.expected_audience) == (
        "https://keys.example.com/jwks",
        "issuer",
        "audience",
    )
    # With a JWKS source configured, development no longer invents a shared secret.
    assert config.shared_secret is None


def test_cors_origins_come_as_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "http://localhost:3000, https://app.example.com")
    assert settings().cors_origins == ["http://localhost:3000", "https://app.example.com"]


@pytest.mark.parametrize(
    ("url", "setting", "prepares"),
    [
        # Off unless asked for, whatever the host and port: a pooler cannot be recognised.
        ("postgresql://u:p@ep-cool-name-1234.eu-central-1.aws.neon.tech/db", None, False),
        ("postgresql://u:p@db.example.com:6543/db", None, False),
        ("postgresql://u:p@127.0.0.1:5432/db", None, False),
        ("postgresql://u:p@127.0.0.1:5432/db", "true", True),
        ("postgresql://u:p@127.0.0.1:5432/db", "false", False),
        ("sqlite:///./todo.sqlite3", "true", False),
    ],
)
def test_prepared_statements_are_off_unless_asked_for(
    url: str, setting: str | None, prepares: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DB_PREPARED_STATEMENTS", raising=False)
    if setting is not None:
        monkeypatch.setenv("DB_PREPARED_STATEMENTS", setting)
    assert settings(database_url=url).uses_prepared_statements is prepares


@pytest.mark.parametrize("given", ["debug", "Info", " warning ", "ERROR"])
def test_log_level_is_case_insensitive(given: str) -> None:
    assert settings(log_level=given).log_level == given.strip().upper()


def test_an_unknown_log_level_is_refused() -> None:
    with pytest.raises(ValidationError):
        settings(log_level="verbose")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://app:s3cr%40t@db.example.com/x",
            "postgresql+psycopg://app:***@db.example.com/x",
        ),
        ("postgresql://app@db.example.com/x", "postgresql+psycopg://app@db.example.com/x"),
    ],
)
def test_the_database_url_is_shown_with_its_password_masked(url: str, shown: str) -> None:
    config = settings(database_url=url)
    assert config.shown_database_url == shown
    assert "s3cr" not in repr(config)


def test_secret_values_cover_every_secret_field_and_the_database_password() -> None:
    config = settings(database_url="postgresql://u:db-pass@h/x", better_auth_secret="auth-secret")
    assert set(config.secret_values()) >= {"db-pass", "auth-secret"}
    for name, field in Settings.model_fields.items():
        if "SecretStr" in repr(field.annotation):
            value = getattr(config, name)
            assert value is None or value.get_secret_value() in config.secret_values(), name


def test_secret_values_cover_query_passwords_and_each_rotation_secret() -> None:
    config = settings(
        database_url="postgresql://u@h/x?password=query-pw",
        better_auth_secrets=f"2:{NEW_SECRET},1:{OLD_SECRET}",
    )
    assert {"query-pw", NEW_SECRET, OLD_SECRET} <= set(config.secret_values())
    assert "query-pw" not in config.shown_database_url


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:canary-pw@h:abc/x", "postgresql://u:canary-pw@h:99999/x"],
)
def test_a_database_url_port_must_be_a_number(url: str) -> None:
    message = configuration_error(database_url=url)
    assert message == (
        "  DATABASE_URL: DATABASE_URL is not a valid URL: its port must be a number from 1 to 65535"
    )


def configuration_error(**values: object) -> str:
    with pytest.raises(ValidationError) as raised:
        settings(**values)
    return describe_configuration_error(raised.value)


def test_a_weak_production_secret_is_named_but_never_printed() -> None:
    canary = "canary-secret-0f9e8d"
    message = configuration_error(environment="production", better_auth_secret=canary)
    assert "BETTER_AUTH_SECRET must be at least 32 characters" in message
    assert canary not in message
    assert "input_value" not in message
    assert "Value error" not in message


def test_a_broken_database_url_is_named_without_its_password() -> None:
    message = configuration_error(database_url="mysql://app:canary-db-pw@h/x")
    assert message == "  DATABASE_URL: DATABASE_URL must be a postgresql:// or sqlite:// URL"


def test_no_secret_is_printed_when_a_rule_over_all_settings_breaks() -> None:
    """pydantic quotes the whole input for a model-wide rule: every SecretStr field
    (BETTER_AUTH_SECRET, and any added later) and the database password hold canaries
    (too short for production): the message names the rule, never a value."""
    secret_fields = [
        name
        for name, field in Settings.model_fields.items()
        if "SecretStr" in repr(field.annotation)
    ]
    assert "better_auth_secret" in secret_fields
    canaries = {name: f"canary-{index}-5b7c" for index, name in enumerate(secret_fields)}
    message = configuration_error(
        environment="production", database_url="postgres://u:canary-pw@h/x", **canaries
    )
    assert "BETTER_AUTH_SECRET" in message
    for canary in [*canaries.values(), "canary-pw"]:
        assert canary not in message
