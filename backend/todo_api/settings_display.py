"""What of the settings may be shown: configuration errors that name the variable and the rule
(never the value), and database URLs with their passwords masked."""

import re
from urllib.parse import urlencode

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# `scheme://user:password@host`: the password, wherever a URL appears in a message.
_URL_PASSWORD = re.compile(r"(?P<user>[a-z][a-z0-9+.-]*://[^:/@\s]*):[^@\s]*@", re.IGNORECASE)
# `?password=...` or `&sslpassword=...`: libpq reads passwords from the query string too.
_QUERY_PASSWORD = re.compile(r"(?P<name>[?&][^=&#\s]*password[^=&#\s]*)=[^&#\s]*", re.IGNORECASE)
_MASK = "***"


def _is_password(parameter: str) -> bool:
    return "password" in parameter.lower()


def mask_database_url(url: str) -> str:
    """The URL as it may be shown (logs, errors, the CLI): its password, and every query
    parameter named like one (`password`, `sslpassword`), replaced by `***`."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # not a URL SQLAlchemy reads: mask what looks secret
        return _QUERY_PASSWORD.sub(
            rf"\g<name>={_MASK}", _URL_PASSWORD.sub(rf"\g<user>:{_MASK}@", url)
        )
    shown = parsed.set(query={}).render_as_string(hide_password=True)
    if not parsed.query:
        return shown
    query = {name: _MASK if _is_password(name) else value for name, value in parsed.query.items()}
    return f"{shown}?{urlencode(query, doseq=True, safe='*')}"


def database_url_passwords(url: str) -> list[str]:
    """Every password `url` holds (its own, and the query's), for scrubbing other text."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # settings refuse such a URL before anything runs
        return []
    passwords = [str(parsed.password)] if parsed.password else []
    for name, value in parsed.query.items():
        if _is_password(name):
            passwords.extend(
                item for item in ((value,) if isinstance(value, str) else value) if item
            )
    return passwords


_PYDANTIC_PREFIX = re.compile(r"^(?:Value error|Assertion failed), ")


def without_pydantic_prefix(message: str) -> str:
    """pydantic prefixes what a validator raised with its own wording; readers need only ours."""
    return _PYDANTIC_PREFIX.sub("", message, count=1)


def describe_configuration_error(error: ValidationError) -> str:
    """One line per broken rule, naming the variable and the rule, never the value (pydantic's
    own text quotes the input: for a secret, or a DATABASE_URL, the secret itself)."""
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        variable = "_".join(str(part) for part in item["loc"]).upper()
        message = without_pydantic_prefix(item["msg"])
        lines.append(f"  {variable}: {message}" if variable else f"  {message}")
    return "\n".join(lines)
